"""ipywidgets panels: each a class with a `.widget`; they call the library and hold no science."""
