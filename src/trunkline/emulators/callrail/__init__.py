"""The CallRail API v3 emulator: ``app.create_app`` builds it (see docs/emulators.md)."""
