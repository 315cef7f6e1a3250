"""The Celery application: one factory, so the API and every worker build it alike."""

from celery.backends.base import Backend

from config import ConfigError, Settings, get_settings
from pipeline.celery_config import PichordCelery, celery_config
from pipeline.consumption_guard import ConsumptionGuard
from pipeline.fleet_beat import FleetBeat
from pipeline.limbo_guard import LimboGuard
from pipeline.methods import import_method_modules, read_method_settings
from pipeline.tasks import register_tasks
from storage.layout import StateLayout


def create_celery_app(settings: Settings | None = None) -> PichordCelery:
    """A configured app with the pipeline's tasks; fails fast on a backend without chords."""
    settings = settings or get_settings()
    # Before anything asks the registry: the API and every worker build their app here.
    import_method_modules(settings.method_modules)
    read_method_settings()
    layout = StateLayout(settings.state_dir).ensure()
    app = PichordCelery(settings)
    app.conf.update(celery_config(settings))
    register_tasks(app)
    app.steps["consumer"].add(LimboGuard)
    app.steps["worker"].add(ConsumptionGuard)
    app.steps["worker"].add(FleetBeat)
    try:
        app.backend.ensure_chords_allowed()
    except NotImplementedError as exc:
        raise ConfigError(
            f"result backend {app.conf.result_backend!r} cannot join chords ({exc}); unset "
            "PICHORD_RESULT_BACKEND to use the built-in file backend under "
            f"{layout.results}, or set one with chord support"
        ) from exc
    if type(app.backend).add_to_chord is Backend.add_to_chord:
        raise ConfigError(
            f"result backend {app.conf.result_backend!r} cannot grow a chord (add_to_chord), "
            "which every job's lanes need; unset PICHORD_RESULT_BACKEND to use the built-in "
            f"file backend under {layout.results}, or use the Redis backend"
        )
    return app
