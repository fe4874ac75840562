"""Apps are indexed as the Python worker indexes them, with its parameter checks."""

import textwrap

import pytest

from devhost.loader import AppLoadError, FunctionKind, load_app


def _app(tmp_path, body: str):
    (tmp_path / "function_app.py").write_text(textwrap.dedent(body))
    return tmp_path


def test_functions_are_classified_with_their_durable_names(tmp_path):
    app = load_app(
        _app(
            tmp_path,
            """
            import azure.durable_functions as df
            import azure.functions as func

            app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
            bp = df.Blueprint()

            @bp.route(route="things/{id}", methods=["GET", "POST"])
            @bp.durable_client_input(client_name="client")
            async def things(req, client):
                return "ok"

            @app.orchestration_trigger(context_name="context", orchestration="Flow")
            def flow(context):
                yield context.call_activity("act", 1)

            @app.activity_trigger(input_name="payload")
            def act(payload):
                return payload

            @app.entity_trigger(context_name="context", entity_name="Counter")
            def counter(context):
                pass

            @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
            def tick(timer):
                pass

            @app.queue_trigger(arg_name="msg", queue_name="jobs", connection="Storage")
            def job(msg):
                pass

            app.register_functions(bp)
            """,
        )
    )
    kinds = {f.name: f.kind for f in app.functions}
    assert kinds == {
        "things": FunctionKind.HTTP,
        "flow": FunctionKind.ORCHESTRATOR,
        "act": FunctionKind.ACTIVITY,
        "counter": FunctionKind.ENTITY,
        "tick": FunctionKind.TIMER,
        "job": FunctionKind.UNSUPPORTED,
    }
    tick = next(f for f in app.functions if f.name == "tick")
    assert (tick.schedule, tick.run_on_startup, tick.trigger_param) == (
        "0 */5 * * * *",
        False,
        "timer",
    )
    things = next(f for f in app.functions if f.name == "things")
    assert (things.route, things.methods, things.client_params) == (
        "things/{id}",
        ("GET", "POST"),
        ("client",),
    )
    flow = app.durable(FunctionKind.ORCHESTRATOR, "FLOW")
    assert (flow.name, flow.durable_name) == ("flow", "Flow")
    assert app.durable(FunctionKind.ORCHESTRATOR, "act") is None
    assert app.durable(FunctionKind.ENTITY, "counter").durable_name == "Counter"


def test_a_binding_without_a_parameter_fails_the_load(tmp_path):
    folder = _app(
        tmp_path,
        """
        import azure.durable_functions as df

        app = df.DFApp()

        @app.orchestration_trigger(context_name="ctx")
        def flow(context):
            yield None
        """,
    )
    with pytest.raises(AppLoadError, match=r"function 'flow'.*declared in the bindings.*'ctx'"):
        load_app(folder)


def test_a_parameter_without_a_binding_fails_the_load(tmp_path):
    folder = _app(
        tmp_path,
        """
        import azure.functions as func

        app = func.FunctionApp()

        @app.route(route="x")
        def x(req, extra):
            return "x"
        """,
    )
    with pytest.raises(AppLoadError, match=r"declared in Python but not in the bindings.*extra"):
        load_app(folder)


def test_context_parameter_is_the_invocation_context(tmp_path):
    app = load_app(
        _app(
            tmp_path,
            """
            import azure.functions as func

            app = func.FunctionApp()

            @app.route(route="x")
            def x(req, context):
                return context.function_name
            """,
        )
    )
    assert app.functions[0].wants_context


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x = 1\n", "exactly one FunctionApp/DFApp, found 0"),
        ("raise RuntimeError('broken import')\n", "import failed: RuntimeError: broken import"),
    ],
)
def test_apps_that_cannot_be_indexed_are_refused(tmp_path, body, message):
    with pytest.raises(AppLoadError, match=message):
        load_app(_app(tmp_path, body))


def test_a_folder_without_function_app_is_refused(tmp_path):
    with pytest.raises(AppLoadError, match=r"no function_app\.py"):
        load_app(tmp_path)
