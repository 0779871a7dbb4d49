"""The application: create_app(settings) builds it; `app` is what uvicorn serves."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ish_portal import areas  # noqa: F401  (every area's registrations, made once)
from ish_portal.accounts.routes import router as accounts_router
from ish_portal.applicants.routes import router as applicants_router
from ish_portal.db import make_engine
from ish_portal.hosts.routes import router as hosts_router
from ish_portal.interviews.routes import router as interviews_router
from ish_portal.labs.routes import router as labs_router
from ish_portal.mailings.routes import router as mailings_router
from ish_portal.nominations.review_routes import router as review_router
from ish_portal.nominations.routes import router as nominations_router
from ish_portal.notifications.routes import router as notifications_router
from ish_portal.panel.routes import router as panel_router
from ish_portal.placement.routes import router as placement_router
from ish_portal.programme.routes import router as programme_router
from ish_portal.reports.routes import router as reports_router
from ish_portal.retention.routes import router as retention_router
from ish_portal.settings import PROJECT_ROOT, Settings, get_settings
from ish_portal.text import timefmt
from ish_portal.web import errors
from ish_portal.worker import start_background_worker
from ish_portal.web.deps import ids_in_range
from ish_portal.web.language import LanguageMiddleware
from ish_portal.web.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware, csrf_protect

# Room for the form fields and multipart framing around the largest allowed file.
FORM_OVERHEAD_BYTES = 256 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.sqlalchemy_url)
    timefmt.configure(settings.zone)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = start_background_worker(engine, settings) if settings.run_sender else None
        yield
        if worker is not None:
            thread, stop = worker
            stop.set()
            thread.join(timeout=10)
        engine.dispose()

    app = FastAPI(title="ish-portal", lifespan=lifespan, dependencies=[Depends(ids_in_range), Depends(csrf_protect)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine

    # Added innermost first: the security headers wrap everything, including error pages.
    app.add_middleware(BodySizeLimitMiddleware,
                       limit_bytes=settings.upload_max_mb * 1024 * 1024 + FORM_OVERHEAD_BYTES,
                       refuse=errors.refuse_too_large)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key.get_secret_value(),
                       session_cookie="ish_session", max_age=settings.session_days * 86400,
                       same_site="lax", https_only=not settings.development)
    app.add_middleware(SecurityHeadersMiddleware, hsts=not settings.development)

    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "static")), name="static")
    # The composer's pages before the messages' own: /organiser/messages/compose is not a message id.
    for router in (accounts_router, programme_router, nominations_router, applicants_router, mailings_router,
                   notifications_router, labs_router, review_router, placement_router, reports_router,
                   retention_router, panel_router, hosts_router, interviews_router):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
    healthz.__ish_public__ = True

    errors.install(app)
    return app


_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    """`ish_portal.main:app` for uvicorn, built on first use so that importing this module (as the
    tests do) does not read the environment's settings."""
    global _app
    if name != "app":
        raise AttributeError(name)
    if _app is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        _app = create_app()
    return _app
