"""Icons, the app icon and other files the app reads with importlib.resources."""
