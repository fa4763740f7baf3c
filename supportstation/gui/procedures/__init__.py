"""The procedures screens: the library and its editor, and the runner in a ticket."""
