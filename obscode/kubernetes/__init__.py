"""Kubernetes objects of a stack (the ``kubernetes`` output): prometheus-operator resources
(``monitoring``: PrometheusRule, ServiceMonitor, PodMonitor, ScrapeConfig;
``alertmanager_config``: AlertmanagerConfig), dashboards (``dashboards``: ConfigMaps for
Grafana's sidecar or grafana-operator GrafanaDashboards) and the check that the target
Prometheus and Alertmanager select them (``selectors``). Each module builds typed objects
(``meta.KubeObject`` models, unknown fields refused) and returns them as plain data."""
