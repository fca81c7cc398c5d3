#!/bin/sh
# PUT the generated ILM policies and index templates into Elasticsearch (idempotent).
set -eu
es=http://elasticsearch:9200
until curl -fsS "$es/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null; do sleep 2; done
for f in /elk/ilm_policy/*.json; do
  curl -fsS -X PUT "$es/_ilm/policy/$(basename "$f" .json)" -H 'Content-Type: application/json' --data-binary "@$f"; echo
done
for f in /elk/index_template/*.json; do
  curl -fsS -X PUT "$es/_index_template/$(basename "$f" .json)" -H 'Content-Type: application/json' --data-binary "@$f"; echo
done
