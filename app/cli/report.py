"""``yizhan report``: the province's figures (统计报表) per organisation as a Chinese XLSX."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli._common import db_option, echo_json


@click.command("report")
@click.option("--org", default=None, help="Only this organisation and those under it "
                                          "(default: every organisation).")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where the networks and the worker demand are (default: as yizhan serve).")
@click.option("--deployment", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="A deployment file of several regions (as yizhan serve).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="The XLSX to write (default: yizhan-figures-YYYY-MM.xlsx).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead.")
@db_option
def report_cmd(org, data_dir, deployment, output, as_json, db_url):
    """The province's figures (统计报表) per organisation, as a Chinese XLSX.

    Per organisation and per level: stations by kind and per 10,000 workers, 24-hour
    stations, coverage at each group's own budget at 10:00 and 04:00, gap areas, reports open
    and handled, stations opened and closed this month and the last: the figures of the web
    app's /figures page.
    """
    from app import create_app
    from app.figures import figures
    from app.orgs import Orgs
    from geo.output.figures import write_figures

    config = {k: v for k, v in {"DATA_DIR": data_dir, "DB_URL": db_url,
                                "DEPLOYMENT": deployment}.items() if v is not None}
    app = create_app(config=config)
    state = app.extensions["yizhan"]
    orgs: Orgs = app.extensions["orgs"]
    from app.deployment import states

    with app.app_context():
        doc = figures(states(app), orgs, state.reports, top=orgs.get(org) if org else None)
    if as_json:
        echo_json(doc)
        return
    path = write_figures(doc, output or Path(f"yizhan-figures-{doc['month']}.xlsx"))
    click.echo(f"{len(doc['rows'])} organisations, {doc['month']} against "
               f"{doc['last_month']}: {path}")
