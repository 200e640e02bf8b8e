"""The DWS cloud API: request signing, the async client, typed response models and the error tree.

This package is the only place that talks to the cloud (`client.py` is the only httpx user).
"""
