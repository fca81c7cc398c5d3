"""Static HTML previews of generated dashboards: the panel grid, and with a Prometheus URL
each panel's query results drawn as SVG charts by a small script inlined in the page (no
CDN, no network at view time)."""
