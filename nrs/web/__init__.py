"""The top layer: site-wide pages, navigation, the admin site and the URL root."""
