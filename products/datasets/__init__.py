"""One module per labelled dataset: its file layout, band order and label codes."""
