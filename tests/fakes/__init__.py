"""Test doubles for the services the bot talks to over the network."""
