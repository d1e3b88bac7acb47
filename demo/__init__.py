"""The djai demo project: a Django site whose admin has the djai assistant.

It is a package so that its apps import as ``demo.shop`` and ``demo.chinook`` from the
repository root, which is what the test settings and ``manage.py`` both rely on.
"""
