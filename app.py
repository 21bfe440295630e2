"""ConvNet Lab: the entry script only sets up the page, the navigation and the shared sidebar."""
from webapp.ui.navigation import app_navigation, inside_app, page_frame

navigation = app_navigation()
page_frame()
with inside_app():
    navigation.run()
