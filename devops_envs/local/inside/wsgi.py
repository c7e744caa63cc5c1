"""Serve one OpenStack WSGI application under gunicorn (gthread).

usage: wsgi.py NAME HOST:PORT module.path[:attr] [oslo.config argv ...]
"""

import importlib
import sys

from gunicorn.app.base import BaseApplication

name, bind, target = sys.argv[1:4]
module_name, _, attr = target.partition(":")
# Some WSGI entry points parse sys.argv with oslo.config: leave them only their own arguments.
sys.argv = [name] + sys.argv[4:]


class Application(BaseApplication):
    def load_config(self) -> None:
        settings = {
            "bind": bind, "workers": 1, "threads": 4, "worker_class": "gthread", "timeout": 300,
            # gunicorn's 2 s default raced with clients polling every ~2 s: sporadic connection resets.
            "keepalive": 75,
            "proc_name": name, "accesslog": "-", "control_socket_disable": True,
        }
        for key, value in settings.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        app = getattr(importlib.import_module(module_name), attr or "application")
        # neutron: Port.port_forwardings is a backref that exists only once SQLAlchemy configured its
        # mappers; without this the first GET /ports after start fails with AttributeError.
        from sqlalchemy import orm

        orm.configure_mappers()
        return app


Application().run()
