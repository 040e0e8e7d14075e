"""The Qt shell over core: widgets, models/views and worker threads only."""
