"""The home page: the figures an officer looks at first, each opening the page it counts."""
