"""Environment configuration: OTEL_* and OBSCODE_* variables and their error messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from instrumentation.config import DEFAULT_REDACT, ConfigError, InstrumentationConfig


def test_defaults_trace_everything_and_export_nothing():
    config = InstrumentationConfig.from_env({})
    assert (config.service, config.sampler, config.sample_ratio) == ("unknown_service", "parentbased_traceidratio", 1.0)
    assert config.otlp_endpoint is None
    assert config.metrics_path == "/metrics"
    assert config.redact == DEFAULT_REDACT


def test_standard_otel_variables_are_read():
    config = InstrumentationConfig.from_env({
        "OTEL_SERVICE_NAME": "api",
        "OTEL_RESOURCE_ATTRIBUTES": "service.version=2.0,deployment.environment.name=prod,team=ml",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.25",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
    })
    assert (config.service, config.version, config.environment) == ("api", "2.0", "prod")
    assert dict(config.resource_attributes) == {"team": "ml"}
    assert config.sample_ratio == 0.25
    assert config.otlp_endpoint == "http://collector:4318/v1/traces"


def test_obscode_variables_are_read():
    config = InstrumentationConfig.from_env({
        "OBSCODE_LOG_FORMAT": "ecs", "OBSCODE_ACCESS_LOG": "false", "OBSCODE_METRICS_PATH": "off",
        "OBSCODE_LOG_REDACT": "Session, pin", "OBSCODE_EXCLUDED_PATHS": "/healthz,/readyz",
        "OBSCODE_MULTIPROC_DIR": "/run/metrics",
    })
    assert config.log_format == "ecs" and config.access_log is False and config.metrics_path is None
    assert config.redact == ("session", "pin")
    assert config.excluded_paths == ("/healthz", "/readyz")
    assert config.multiproc_dir == "/run/metrics"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER='sometimes' is not supported; use one of"),
        ({"OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG=2.0 must be between 0 and 1"),
        ({"OTEL_TRACES_SAMPLER_ARG": "half"}, "OTEL_TRACES_SAMPLER_ARG='half' is not a number"),
        ({"OTEL_RESOURCE_ATTRIBUTES": "team"}, "OTEL_RESOURCE_ATTRIBUTES item 'team' is not key=value"),
        ({"OBSCODE_ACCESS_LOG": "maybe"}, "OBSCODE_ACCESS_LOG='maybe' must be true or false"),
        ({"OBSCODE_LOG_FORMAT": "xml"}, "OBSCODE_LOG_FORMAT='xml' must be one of json, ecs, off"),
        ({"OBSCODE_METRICS_PORT": "http"}, "OBSCODE_METRICS_PORT='http' is not an integer"),
        ({"OBSCODE_SERIES_LIMIT": "0"}, "OBSCODE_SERIES_LIMIT=0 must be a whole number of at least 1"),
        ({"OBSCODE_SERIES_LIMIT": "-3"}, "OBSCODE_SERIES_LIMIT=-3 must be a whole number of at least 1"),
        ({"OBSCODE_SERIES_LIMIT": "lots"}, "OBSCODE_SERIES_LIMIT='lots' is not an integer"),
    ],
)
def test_bad_environment_values_name_the_variable(env, message):
    with pytest.raises(ConfigError) as error:
        InstrumentationConfig.from_env(env)
    assert str(error.value).startswith(message)


def test_unknown_option_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown instrumentation option\\(s\\): colour; known options: access_log"):
        InstrumentationConfig().with_overrides(colour="blue")


def test_importing_the_catalog_does_not_load_opentelemetry():
    code = "import sys, instrumentation.catalog, instrumentation.config, instrumentation.log_fields; " \
           "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'fastapi'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_a_series_limit_below_one_is_refused_as_an_argument_too():
    with pytest.raises(ConfigError) as error:
        InstrumentationConfig(series_limit=0)
    assert str(error.value) == "series_limit=0 must be a whole number of at least 1 (series per metric)"


def test_the_series_limit_variable_is_read_by_one_function_with_one_default():
    from instrumentation.config import DEFAULT_SERIES_LIMIT, series_limit_from_env

    assert series_limit_from_env({}) == DEFAULT_SERIES_LIMIT == InstrumentationConfig().series_limit
    assert series_limit_from_env({"OBSCODE_SERIES_LIMIT": " "}) == DEFAULT_SERIES_LIMIT
    assert series_limit_from_env({"OBSCODE_SERIES_LIMIT": "7"}) == 7
    assert InstrumentationConfig.from_env({"OBSCODE_SERIES_LIMIT": "7"}).series_limit == 7
