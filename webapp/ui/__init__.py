"""The only part of ConvNet Lab that imports streamlit: widgets, charts, caches and session state."""
