"""Durable orchestrators and their activities, one folder per flow."""
