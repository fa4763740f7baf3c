"""The remote-action panels: the window's face of `supportstation.remote`."""
