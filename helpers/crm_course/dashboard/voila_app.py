"""Voila as `crm-course dashboard` runs it: the page's first bytes leave at once, before
any kernel.

Voila sends nothing of a page until a kernel has started for it: a visitor who finds no
pre-heated kernel waiting (the third of a class opening the page together, with two
pre-heated) waited 2-4 s for the first byte, and a loaded machine longer. Here the
page's handler first sends the dashboard's first view (`first_view.page_start`: the
chart and caption the first kernel drew, as static HTML) and only then waits for
Voila's own page, which follows in the same response; if Voila fails after that (a
kernel that cannot start), the page says so over the first view (`page_failed`). The
browser draws the first view as it arrives; the live dashboard replaces it once its
chart is drawn (the page template's style). Voila's document then begins inside the body:
the browser ignores a second doctype, ``<html>``, ``<head>`` and ``<body>`` tag, and
keeps their contents.

Run as ``python -m crm_course.dashboard.voila_app NOTEBOOK [voila options]``
(`serve.voila_command`).
"""

from __future__ import annotations

import tornado.web
from tornado.iostream import StreamClosedError
from tornado.log import app_log
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .first_view import page_failed, page_start


class FirstBytesHandler(TornadoVoilaHandler):
    """Voila's page handler, sending the first view before Voila's page."""

    @tornado.web.authenticated
    async def get(self, path=None):
        """The page at ``path`` ('' for the dashboard itself; a file path is redirected by
        Voila, without a first view)."""
        if not (self.notebook_path and path):
            self.set_header("Content-Type", "text/html")
            self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.write(page_start(data=self.get_argument("data", None)))
            await self.flush()
        try:
            async for html in self.get_generator(path=path):
                self.write(html)
                await self.flush()
        except StreamClosedError:  # the visitor left: nobody to tell
            return
        except Exception as error:  # the first view went out: say it will not come alive
            app_log.exception("The dashboard page failed after its first view was sent")
            self.write(page_failed(error))
            await self.flush()


class DashboardVoila(Voila):
    """Voila with `FirstBytesHandler` serving the notebook."""

    def init_handlers(self) -> list:
        """Voila's handlers, its notebook handler swapped for `FirstBytesHandler`."""
        return [(h[0], FirstBytesHandler, *h[2:])
                if isinstance(h, tuple) and h[1] is TornadoVoilaHandler else h
                for h in super().init_handlers()]


main = DashboardVoila.launch_instance

if __name__ == "__main__":
    main()
