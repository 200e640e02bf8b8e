"""dr-watchdog: an automated disaster-recovery watchdog for Huawei Cloud GaussDB(DWS)."""

__version__ = "0.1.0"
