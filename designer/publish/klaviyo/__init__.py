"""Klaviyo: the Create Flow compiler, the client, the publisher and the translator back."""
