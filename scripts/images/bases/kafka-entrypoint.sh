#!/bin/sh
# Starts a KRaft node configured as the official apache/kafka image does: every KAFKA_* variable
# except the JVM ones becomes a server property (KAFKA_LOG_DIRS → log.dirs; `___` → `-`,
# `__` → `_`), the storage is formatted with CLUSTER_ID once, then the broker runs in the
# foreground. The properties file goes to a temporary directory: the image needs no writable root.
set -eu
: "${CLUSTER_ID:?CLUSTER_ID is required (the KRaft cluster id)}"
KAFKA_HOME=/opt/kafka
conf_dir="$(mktemp -d)"
conf="$conf_dir/server.properties"

env | sort | while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_JMX_OPTS | \
      KAFKA_JMX_PORT | KAFKA_JMX_HOSTNAME | KAFKA_LOG4J_OPTS | KAFKA_VERSION) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key="$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')"
  printf '%s=%s\n' "$key" "$value"
done >"$conf"

# Word lists, as kafka-run-class.sh treats its *_OPTS variables.
JAVA_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m} -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"
JAVA_OPTS="$JAVA_OPTS -Dlog4j2.configurationFile=$KAFKA_HOME/config/log4j2.properties ${KAFKA_OPTS:-}"

# shellcheck disable=SC2086
java $JAVA_OPTS -Xms64m -Xmx256m -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool format \
  --cluster-id "$CLUSTER_ID" --config "$conf" --ignore-formatted >"$conf_dir/format.log" 2>&1 \
  || { cat "$conf_dir/format.log" >&2; exit 1; }
# shellcheck disable=SC2086
exec java $JAVA_OPTS -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$conf"
