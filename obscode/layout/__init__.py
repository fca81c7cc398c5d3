"""Pictures of dashboard layouts: an SVG of the panel grid (``svg.dashboard_svg``), turned
into PNG by headless Chromium (``png.svg_to_png``), before/after pairs for changed dashboards."""
