// Chapter and transcript links seek the page's player. Without JavaScript the same links open
// the MP3 itself at that time (the `#t=` media fragment), so nothing depends on this file.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) {
    return;
  }
  function seek(seconds) {
    player.currentTime = seconds;
    var playing = player.play();
    if (playing && playing.catch) {
      playing.catch(function () {});  // autoplay refused: the position is set all the same
    }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-t]") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;  // a new tab or window: let the browser open the MP3 there
    }
    event.preventDefault();
    var at = link.getAttribute("data-t");
    seek(parseFloat(at));
    history.replaceState(null, "", "#t=" + at);
  });
  var start = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);  // a shared link to a moment
  if (start) {
    player.currentTime = parseFloat(start[1]);
  }
})();
