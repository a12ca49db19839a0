"""The show on disk: settings, the catalog of episodes, their side files, folders, locks.

Data and files only: never runs ffmpeg, never talks to a store."""
