"""The editor's publishing: the Publish dialog and File > Import from Klaviyo."""
