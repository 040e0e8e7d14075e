"""The main window's pages. Each is a QWidget built as Page(host: desktop.host.Host)."""
