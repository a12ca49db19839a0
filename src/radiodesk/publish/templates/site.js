// One player plays at a time: starting one pauses the others. On the show page a "Listen" button
// stands for each episode's player until pressed. On an episode page, chapter and transcript
// links seek the page's player. Without JavaScript every player still shows and plays, and the
// same links open the MP3 itself at that time (the `#t=` media fragment), so nothing depends on
// this file.
(function () {
  "use strict";
  function play(audio) {
    var playing = audio.play();
    if (playing && playing.catch) {
      playing.catch(function () {});  // autoplay refused: the player is there to press
    }
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.play"), function (button) {
    var audio = document.getElementById(button.getAttribute("aria-controls"));
    if (!audio) {
      return;
    }
    audio.hidden = true;
    button.hidden = false;
    button.addEventListener("click", function () {
      button.hidden = true;
      audio.hidden = false;
      audio.focus();  // Space now pauses it
      play(audio);
    });
  });
  // "play" does not bubble: listen while it goes down (capture).
  document.addEventListener("play", function (event) {
    var players = document.getElementsByTagName("audio");
    for (var i = 0; i < players.length; i++) {
      if (players[i] !== event.target && !players[i].paused) {
        players[i].pause();
      }
    }
  }, true);
  var player = document.getElementById("player");
  if (!player) {
    return;
  }
  function seek(seconds) {
    player.currentTime = seconds;
    play(player);  // if autoplay is refused, the position is set all the same
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
