"""Hadir on-premise bridge: attendance machines on the LAN → one durable spool → the Hadir cloud."""

__version__ = '0.1.0'
