{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "rate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name, 63 characters at most. */}}
{{- define "rate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "rate.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "rate.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* name-version for the helm.sh/chart label. */}}
{{- define "rate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object; pass a dict with ctx and component. */}}
{{- define "rate.labels" -}}
helm.sh/chart: {{ include "rate.chart" .ctx }}
{{ include "rate.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: rate
{{- end }}

{{/* Selector labels: stable across upgrades, kept out of the version churn of rate.labels. */}}
{{- define "rate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* ServiceAccount the apps run as. */}}
{{- define "rate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* API replicas: replicaCount (alias) wins over replicas when set. */}}
{{- define "rate.apiReplicas" -}}
{{- if ne .Values.replicaCount nil }}{{ .Values.replicaCount }}{{ else }}{{ .Values.replicas }}{{ end }}
{{- end }}

{{/* Kafka bootstrap servers: the in-chart broker's Service DNS name, or the external list. */}}
{{- define "rate.kafkaBrokers" -}}
{{- if .Values.kafka.enabled }}
{{- printf "%s-kafka.%s.svc.cluster.local:9092" (include "rate.fullname" .) .Release.Namespace }}
{{- else }}
{{- .Values.kafka.external.brokers }}
{{- end }}
{{- end }}

{{/* Redis URL: the in-chart Redis Service (a cluster: every node's own Service, as seeds), or the external URL. */}}
{{- define "rate.redisUrl" -}}
{{- if and .Values.redis.enabled (eq .Values.redis.mode "cluster") }}
{{- $seeds := list }}
{{- range $i := until (int (include "rate.redisClusterNodes" .)) }}
{{- $seeds = append $seeds (printf "redis://%s-redis-%d.%s.svc.cluster.local:6379" (include "rate.fullname" $) $i $.Release.Namespace) }}
{{- end }}
{{- join "," $seeds }}
{{- else if .Values.redis.enabled }}
{{- printf "redis://%s-redis.%s.svc.cluster.local:6379" (include "rate.fullname" .) .Release.Namespace }}
{{- else }}
{{- .Values.redis.external.url }}
{{- end }}
{{- end }}

{{/* Pods of an in-chart Redis Cluster: each primary and its replicas. */}}
{{- define "rate.redisClusterNodes" -}}
{{- mul (int .Values.redis.cluster.primaries) (add 1 (int .Values.redis.cluster.replicasPerPrimary)) -}}
{{- end }}

{{/* The script of the Redis Cluster Job (see redis-cluster-job.yaml). */}}
{{- define "rate.redisClusterCreate" -}}
addresses=""
for i in $(seq 0 {{ sub .nodes 1 }}); do
  eval "ip=\${{ "{" }}{{ .prefix }}${i}_SERVICE_HOST:-}"
  [ -n "$ip" ] || { echo "no Service for Redis node $i" >&2; exit 1; }
  addresses="$addresses $ip:6379"
done
for a in $addresses; do
  until redis-cli -h "${a%:*}" ping 2>/dev/null | grep -q PONG; do echo "waiting for $a"; sleep 2; done
done
field() { redis-cli -h "${1%:*}" cluster info | tr -d '\r' | sed -n "s/^$2://p"; }
formed=0; empty=0
for a in $addresses; do
  slots=$(field "$a" cluster_slots_assigned); known=$(field "$a" cluster_known_nodes)
  [ "$slots" = 16384 ] && [ "$known" = {{ .nodes }} ] && formed=$((formed + 1))
  [ "$slots" = 0 ] && [ "$known" = 1 ] && empty=$((empty + 1))
done
if [ "$formed" = {{ .nodes }} ]; then echo "the Redis Cluster is formed"; exit 0; fi
if [ "$empty" = {{ .nodes }} ]; then exec redis-cli --cluster create $addresses --cluster-replicas {{ .replicas }} --cluster-yes; fi
echo "the Redis Cluster is half formed ($formed of {{ .nodes }} nodes see it whole, $empty are empty): see Redis Cluster in the chart README" >&2
exit 1
{{- end }}

{{/*
The shell variable Kubernetes' service links give a Redis Cluster node's own Service address in
(RATE_REDIS_0_SERVICE_HOST for rate-redis-0), less the ordinal.
*/}}
{{- define "rate.redisServiceHostPrefix" -}}
{{- printf "%s_REDIS_" (include "rate.fullname" . | upper | replace "-" "_") -}}
{{- end }}

{{/*
A securityContext from a component's values (the restricted defaults live in values.yaml, so an
operator can override a key, or drop one with null, e.g. runAsUser on OpenShift's restricted-v2).
*/}}
{{- define "rate.securityContext" -}}
{{- with . -}}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* imagePullSecrets of every pod of the release; pass the root context. */}}
{{- define "rate.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* An image reference under global.imageRegistry when set; pass a dict with ctx and ref. */}}
{{- define "rate.imageRef" -}}
{{- with .ctx.Values.global.imageRegistry }}{{ trimSuffix "/" . }}/{{ end }}{{ .ref }}
{{- end }}

{{/* Image reference of an image value (repository, tag); pass a dict with ctx and image. */}}
{{- define "rate.image" -}}
{{- include "rate.imageRef" (dict "ctx" .ctx "ref" (printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag))) }}
{{- end }}

{{/* Pod labels: the component's extra podLabels under its selector labels (which always win). */}}
{{- define "rate.podLabels" -}}
{{- $selector := fromYaml (include "rate.selectorLabels" .) }}
{{- toYaml (merge $selector (deepCopy (default dict .values.podLabels))) }}
{{- end }}

{{/* Pod annotations: the chart's checksums (pass them as checksums) over the component's podAnnotations. */}}
{{- define "rate.podAnnotations" -}}
{{- $annotations := merge (default dict .checksums) (deepCopy (default dict .values.podAnnotations)) }}
{{- if $annotations }}
{{- toYaml $annotations }}
{{- end }}
{{- end }}

{{/*
Placement and lifecycle of a component's pods (nodeSelector, tolerations, affinity, spread,
priority, grace period); pass a dict with ctx, component and values (the component's block).
A spread constraint without labelSelector gets the component's selector labels.
*/}}
{{- define "rate.podPlacement" -}}
{{- $values := .values -}}
terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
{{- with $values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.topologySpreadConstraints }}
{{- $selector := dict "labelSelector" (dict "matchLabels" (fromYaml (include "rate.selectorLabels" $))) }}
{{- $constraints := list }}
{{- range . }}
{{- $constraints = append $constraints (merge (deepCopy .) (deepCopy $selector)) }}
{{- end }}
topologySpreadConstraints:
  {{- toYaml $constraints | nindent 2 }}
{{- end }}
{{- end }}

{{/* The API pods' grace period: the value, or drain + shutdown grace + 5 s of slack. */}}
{{- define "rate.apiGracePeriodSeconds" -}}
{{- if ne .Values.api.terminationGracePeriodSeconds nil }}
{{- .Values.api.terminationGracePeriodSeconds }}
{{- else }}
{{- add (div (add .Values.config.shutdownDrainMs 999) 1000) (div (add .Values.config.shutdownGraceMs 999) 1000) 5 }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the Redis password. */}}
{{- define "rate.redisSecretName" -}}
{{- default (printf "%s-redis" (include "rate.fullname" .)) .Values.redis.auth.existingSecret }}
{{- end }}

{{/*
A generated password (base64), made once per render: the one of the release's existing Secret
when there is one (so upgrades keep it), the value when set, else a new random one. Cached in
the render context so the Secret and the checksum annotations agree. Pass a dict with ctx,
secret (its name), key, value and cacheKey.
*/}}
{{- define "rate.generatedPassword" -}}
{{- if not (hasKey .ctx .cacheKey) }}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- $password := "" }}
{{- if and $existing $existing.data }}
{{- $password = index $existing.data .key | default "" }}
{{- end }}
{{- with .value }}{{ $password = b64enc . }}{{ end }}
{{- $_ := set .ctx .cacheKey (default (randAlphaNum 32 | b64enc) $password) }}
{{- end }}
{{- get .ctx .cacheKey }}
{{- end }}

{{/*
A checksum of a password Secret, so the pods using it roll together when it changes: of the
generated password, or of the operator's Secret's data when it can be read (helm install/upgrade;
offline, its name). The same dict as rate.generatedPassword plus generated.
*/}}
{{- define "rate.passwordChecksum" -}}
{{- if .generated }}
{{- include "rate.generatedPassword" . | sha256sum }}
{{- else }}
{{- $secret := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- $data := dig "data" .key "" ($secret | default dict) }}
{{- printf "%s/%s/%s" .secret .key $data | sha256sum }}
{{- end }}
{{- end }}

{{- define "rate.redisPasswordArgs" -}}
{{- $auth := .Values.redis.auth }}
{{- toYaml (dict "secret" (include "rate.redisSecretName" .) "key" $auth.existingSecretPasswordKey "value" $auth.password "cacheKey" "rateRedisPassword" "generated" (include "rate.redisSecretGenerated" . | eq "true")) }}
{{- end }}

{{/* The generated Redis password (base64). */}}
{{- define "rate.redisGeneratedPassword" -}}
{{- include "rate.generatedPassword" (merge (dict "ctx" .) (fromYaml (include "rate.redisPasswordArgs" .))) }}
{{- end }}

{{/* Whether the chart creates the Redis password Secret itself. */}}
{{- define "rate.redisSecretGenerated" -}}
{{- if and .Values.redis.enabled .Values.redis.auth.enabled (not .Values.redis.auth.existingSecret) }}true{{ end }}
{{- end }}

{{/* checksum/redis-auth: pods using the password roll together when it changes. */}}
{{- define "rate.redisAuthChecksum" -}}
{{- include "rate.passwordChecksum" (merge (dict "ctx" .) (fromYaml (include "rate.redisPasswordArgs" .))) }}
{{- end }}

{{/* Name of the Secret holding the in-chart Kafka's SCRAM password. */}}
{{- define "rate.kafkaAuthSecretName" -}}
{{- default (printf "%s-kafka-auth" (include "rate.fullname" .)) .Values.kafka.auth.existingSecret }}
{{- end }}

{{/* Whether the in-chart Kafka requires SCRAM from its clients. */}}
{{- define "rate.kafkaAuth" -}}
{{- if and .Values.kafka.enabled .Values.kafka.auth.enabled }}true{{ end }}
{{- end }}

{{/* Whether the chart creates the Kafka password Secret itself. */}}
{{- define "rate.kafkaSecretGenerated" -}}
{{- if and (include "rate.kafkaAuth" .) (not .Values.kafka.auth.existingSecret) }}true{{ end }}
{{- end }}

{{- define "rate.kafkaPasswordArgs" -}}
{{- $auth := .Values.kafka.auth }}
{{- toYaml (dict "secret" (include "rate.kafkaAuthSecretName" .) "key" $auth.existingSecretPasswordKey "value" $auth.password "cacheKey" "rateKafkaPassword" "generated" (include "rate.kafkaSecretGenerated" . | eq "true")) }}
{{- end }}

{{/* The generated Kafka SCRAM password (base64). */}}
{{- define "rate.kafkaGeneratedPassword" -}}
{{- include "rate.generatedPassword" (merge (dict "ctx" .) (fromYaml (include "rate.kafkaPasswordArgs" .))) }}
{{- end }}

{{/* checksum/kafka-auth: the apps and the user Job follow the password. */}}
{{- define "rate.kafkaAuthChecksum" -}}
{{- include "rate.passwordChecksum" (merge (dict "ctx" .) (fromYaml (include "rate.kafkaPasswordArgs" .))) }}
{{- end }}

{{/*
The user Job's script; pass the bootstrap server (a replication listener). The password reaches
the tool in a file, never on a command line; in a file the value takes no brackets (those group
values in --add-config only: "Invalid credential property" otherwise). The broker restarts when
auth is turned on: the script retries every 5 s (short client timeouts) rather than wait out
the Job's growing restart back-off.
*/}}
{{- define "rate.kafkaUserScript" -}}
umask 077
printf 'SCRAM-SHA-512=iterations=8192,password=%s\n' "$KAFKA_PASSWORD" > /tmp/scram.properties
printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=15000\n' > /tmp/client.properties
for attempt in $(seq 1 120); do
  if java -XX:-UsePerfData -Xms32m -Xmx128m -cp '/opt/kafka/libs/*' kafka.admin.ConfigCommand \
    --bootstrap-server {{ . }} --command-config /tmp/client.properties \
    --alter --entity-type users --entity-name "$KAFKA_USER" --add-config-file /tmp/scram.properties; then
    echo "SCRAM user $KAFKA_USER set"; exit 0
  fi
  echo "attempt $attempt: the broker did not take the user yet, again in 5 s"; sleep 5
done
exit 1
{{- end }}

{{/* An env entry named .name taking the in-chart Kafka's SCRAM password from its Secret. */}}
{{- define "rate.kafkaPasswordEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "rate.kafkaAuthSecretName" .ctx }}
      key: {{ .ctx.Values.kafka.auth.existingSecretPasswordKey }}
{{- end }}

{{/* An env entry named .name taking the Redis password from its Secret; pass a dict with ctx and name. */}}
{{- define "rate.redisPasswordEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "rate.redisSecretName" .ctx }}
      key: {{ .ctx.Values.redis.auth.existingSecretPasswordKey }}
{{- end }}

{{/* Where the external Kafka's TLS files are mounted. */}}
{{- define "rate.kafkaTlsDir" -}}/etc/rate/kafka-tls{{- end }}

{{/* The apps' Kafka TLS and SASL settings as ConfigMap data (the password is not among them): the in-chart broker's SCRAM, or the external Kafka's. */}}
{{- define "rate.kafkaAuthConfig" -}}
{{- if include "rate.kafkaAuth" . }}
KAFKA_SASL_MECHANISM: "scram-sha-512"
KAFKA_SASL_USERNAME: {{ .Values.kafka.auth.username | quote }}
{{- else if not .Values.kafka.enabled }}
{{- $tls := .Values.kafka.external.tls }}
{{- $sasl := .Values.kafka.external.sasl }}
{{- if $tls.enabled }}
KAFKA_SSL: "true"
{{- if $tls.existingSecret }}
{{- with $tls.caKey }}
KAFKA_SSL_CA_FILE: {{ printf "%s/%s" (include "rate.kafkaTlsDir" $) . | quote }}
{{- end }}
{{- with $tls.certKey }}
KAFKA_SSL_CERT_FILE: {{ printf "%s/%s" (include "rate.kafkaTlsDir" $) . | quote }}
{{- end }}
{{- with $tls.keyKey }}
KAFKA_SSL_KEY_FILE: {{ printf "%s/%s" (include "rate.kafkaTlsDir" $) . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if $sasl.mechanism }}
KAFKA_SASL_MECHANISM: {{ $sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ $sasl.username | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Secret-backed env entries of both apps: the Redis and Kafka SASL passwords. */}}
{{- define "rate.appSecretEnv" -}}
{{- if .Values.redis.auth.enabled }}
{{ include "rate.redisPasswordEnv" (dict "ctx" . "name" "REDIS_PASSWORD") }}
{{- end }}
{{- if include "rate.kafkaAuth" . }}
{{ include "rate.kafkaPasswordEnv" (dict "ctx" . "name" "KAFKA_SASL_PASSWORD") }}
{{- else if and (not .Values.kafka.enabled) .Values.kafka.external.sasl.mechanism }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.external.sasl.existingSecret }}
      key: {{ .Values.kafka.external.sasl.existingSecretPasswordKey }}
{{- end }}
{{- end }}

{{/* The TLS Secret of the external Kafka as a volume (only the keys in use), when there is one. */}}
{{- define "rate.kafkaTlsVolume" -}}
{{- $tls := .Values.kafka.external.tls }}
{{- if and (not .Values.kafka.enabled) $tls.enabled $tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ $tls.existingSecret }}
    defaultMode: 288 # 0440: the key only for the app's group (fsGroup)
    items:
      {{- range $key := compact (list $tls.caKey $tls.certKey $tls.keyKey) }}
      - key: {{ $key }}
        path: {{ $key }}
      {{- end }}
{{- end }}
{{- end }}

{{/* Its mount in the app containers. */}}
{{- define "rate.kafkaTlsMount" -}}
{{- $tls := .Values.kafka.external.tls }}
{{- if and (not .Values.kafka.enabled) $tls.enabled $tls.existingSecret }}
- name: kafka-tls
  mountPath: {{ include "rate.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{/* TCP ports of the external Kafka brokers, comma-separated (for the apps' egress policy). */}}
{{- define "rate.externalKafkaPorts" -}}
{{- $ports := list }}
{{- range splitList "," .Values.kafka.external.brokers }}
{{- $port := regexFind "[0-9]+$" (trim .) }}
{{- if $port }}{{ $ports = append $ports $port }}{{ end }}
{{- end }}
{{- join "," (uniq $ports) }}
{{- end }}

{{/* TCP port of the external Redis (6379 unless the URL says otherwise). */}}
{{/* The ports of the external Redis URL (a cluster's seeds: each one's), comma-separated. */}}
{{- define "rate.externalRedisPorts" -}}
{{- $ports := list }}
{{- range splitList "," .Values.redis.external.url }}
{{- $host := (urlParse (trim .)).host }}
{{- $ports = append $ports (default "6379" (regexFind ":[0-9]+$" $host | trimPrefix ":")) }}
{{- end }}
{{- join "," (uniq $ports) }}
{{- end }}

{{/* Collects every value problem and fails once, readably. */}}
{{- define "rate.validateValues" -}}
{{- $errors := list }}
{{- if and (not .Values.kafka.enabled) (not .Values.kafka.external.brokers) }}
{{- $errors = append $errors "kafka.enabled=false needs kafka.external.brokers (host:port list)" }}
{{- end }}
{{- $sasl := .Values.kafka.external.sasl }}
{{- $tls := .Values.kafka.external.tls }}
{{- if and .Values.kafka.enabled (or $sasl.mechanism $tls.enabled) }}
{{- $errors = append $errors "kafka.external.sasl and kafka.external.tls apply to an external Kafka (kafka.enabled=false); the in-chart broker is reachable by the apps only (networkPolicy)" }}
{{- end }}
{{- if and .Values.kafka.auth.enabled (not .Values.kafka.enabled) }}
{{- $errors = append $errors "kafka.auth applies to the in-chart Kafka; an external one takes kafka.external.sasl" }}
{{- end }}
{{- if and (include "rate.kafkaAuth" .) (not .Values.networkPolicy.enabled) }}
{{- $errors = append $errors "kafka.auth.enabled needs networkPolicy.enabled: the brokers' replication and controller listeners carry no credentials, and only the policies keep other pods off them" }}
{{- end }}
{{- if and $sasl.mechanism (or (not $sasl.username) (not $sasl.existingSecret)) }}
{{- $errors = append $errors "kafka.external.sasl.mechanism needs kafka.external.sasl.username and kafka.external.sasl.existingSecret (the Secret with the password)" }}
{{- end }}
{{- if and (or $tls.certKey $tls.keyKey) (not (and $tls.certKey $tls.keyKey $tls.existingSecret)) }}
{{- $errors = append $errors "mutual TLS needs kafka.external.tls.certKey, keyKey and existingSecret together" }}
{{- end }}
{{- if and (not .Values.redis.enabled) (not .Values.redis.external.url) }}
{{- $errors = append $errors "redis.enabled=false needs redis.external.url (redis://host:port)" }}
{{- end }}
{{- if and (not .Values.redis.enabled) (contains "@" .Values.redis.external.url) }}
{{- $errors = append $errors "redis.external.url must not carry a password (it would land in a ConfigMap): put it into the Secret named by redis.auth.existingSecret" }}
{{- end }}
{{- if and (not .Values.redis.enabled) .Values.redis.auth.enabled (not .Values.redis.auth.existingSecret) }}
{{- $errors = append $errors "an external Redis with redis.auth.enabled needs redis.auth.existingSecret (the Secret with its password), or redis.auth.enabled=false for a Redis without one" }}
{{- end }}
{{- if and .Values.redis.enabled (not .Values.redis.auth.enabled) }}
{{- $errors = append $errors "redis.auth.enabled=false is only for an external Redis without a password; the in-chart Redis always requires one" }}
{{- end }}
{{- if and .Values.redis.enabled (eq .Values.redis.mode "cluster") (not .Values.redis.persistence.enabled) }}
{{- $errors = append $errors "redis.mode=cluster needs redis.persistence.enabled: a node's place in the cluster (nodes.conf) lives on its volume" }}
{{- end }}
{{- if and (not .Values.redis.enabled) (ne .Values.redis.mode "cluster") (contains "," .Values.redis.external.url) }}
{{- $errors = append $errors "redis.external.url lists several nodes: a list of seed nodes needs redis.mode=cluster" }}
{{- end }}
{{- if gt (int .Values.config.rateMin) (int .Values.config.rateMax) }}
{{- $errors = append $errors (printf "config.rateMin (%v) is above config.rateMax (%v)" .Values.config.rateMin .Values.config.rateMax) }}
{{- end }}
{{- $apiGrace := int (include "rate.apiGracePeriodSeconds" .) }}
{{- $apiShutdown := add .Values.config.shutdownDrainMs .Values.config.shutdownGraceMs }}
{{- if le (mul $apiGrace 1000) $apiShutdown }}
{{- $errors = append $errors (printf "api.terminationGracePeriodSeconds (%d s) must exceed config.shutdownDrainMs + config.shutdownGraceMs (%d ms), or Kubernetes kills the pod mid-drain" $apiGrace $apiShutdown) }}
{{- end }}
{{- $consumerGrace := int .Values.consumer.terminationGracePeriodSeconds }}
{{- if le (mul $consumerGrace 1000) (int .Values.config.shutdownGraceMs) }}
{{- $errors = append $errors (printf "consumer.terminationGracePeriodSeconds (%d s) must exceed config.shutdownGraceMs (%v ms), or Kubernetes kills the pod mid-batch" $consumerGrace .Values.config.shutdownGraceMs) }}
{{- end }}
{{- if and .Values.gateway.enabled (empty .Values.gateway.parentRefs) }}
{{- $errors = append $errors "gateway.enabled=true needs gateway.parentRefs (the Gateway to attach the HTTPRoute to)" }}
{{- end }}
{{- with .Values.global.imageRegistry }}
{{- if not (regexMatch "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$" .) }}
{{- $errors = append $errors (printf "global.imageRegistry %q is not a registry host (and path), e.g. mirror.example:5000/hub: no scheme, no tag" .) }}
{{- end }}
{{- end }}
{{- if and .Values.gateway.enabled .Values.networkPolicy.enabled (not .Values.networkPolicy.gatewayFrom) }}
{{- $errors = append $errors "gateway.enabled with networkPolicy.enabled needs networkPolicy.gatewayFrom: the peers the Gateway's data plane connects to the API from (where it runs depends on the implementation, e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: envoy-gateway-system}}}], or an ipBlock for one outside the cluster); without them the API's policy blocks the Gateway" }}
{{- end }}
{{- if ne .Values.service.type "ClusterIP" }}
{{- $errors = append $errors (printf "service.type %s would publish the API pods' whole port, /metrics, /health and /openapi.json with /rate: keep ClusterIP and expose /rate alone through ingress.enabled or gateway.enabled" .Values.service.type) }}
{{- end }}
{{- $errors = concat $errors (fromYamlArray (include "rate.statefulSetChanges" .)) }}
{{- if $errors }}
{{- fail (printf "\n\nrate chart values are invalid:\n  - %s\n" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}

{{/*
Some fields of an installed StatefulSet never change in place (volumeClaimTemplates: persistence
on/off, size, storage class; serviceName), so such a change would fail half-way with an API
error. Compare with what is installed (lookup; empty under helm template) and say the way through.
*/}}
{{- define "rate.statefulSetChanges" -}}
{{- $problems := list }}
{{- range $component := list "kafka" "redis" }}
{{- $values := index $.Values $component }}
{{- $name := printf "%s-%s" (include "rate.fullname" $) $component }}
{{- $installed := lookup "apps/v1" "StatefulSet" $.Release.Namespace $name }}
{{- if and $values.enabled $installed }}
{{- $changes := list }}
{{- $claims := default list $installed.spec.volumeClaimTemplates }}
{{- if ne (gt (len $claims) 0) $values.persistence.enabled }}
{{- $changes = append $changes (printf "%s.persistence.enabled %v -> %v" $component (gt (len $claims) 0) $values.persistence.enabled) }}
{{- else if $values.persistence.enabled }}
{{- $claim := (index $claims 0).spec }}
{{- if ne (toString $claim.resources.requests.storage) (toString $values.persistence.size) }}
{{- $changes = append $changes (printf "%s.persistence.size %v -> %v" $component $claim.resources.requests.storage $values.persistence.size) }}
{{- end }}
{{- if and $values.persistence.storageClass (ne (default "" $claim.storageClassName) $values.persistence.storageClass) }}
{{- $changes = append $changes (printf "%s.persistence.storageClass %q -> %q" $component (default "" $claim.storageClassName) $values.persistence.storageClass) }}
{{- end }}
{{- end }}
{{- $redisNodes := ternary (int (include "rate.redisClusterNodes" $)) 1 (eq $.Values.redis.mode "cluster") }}
{{- if and (eq $component "redis") (ne (int $installed.spec.replicas) $redisNodes) }}
{{- $problems = append $problems (printf "redis.mode / redis.cluster: the installed Redis runs %v pod(s), these values ask for %v; Redis data moves between a standalone Redis and a cluster (or to a cluster of another size) only by a migration the chart does not do. Run: kubectl -n %s delete statefulset %s && kubectl -n %s delete pvc -l app.kubernetes.io/component=redis,app.kubernetes.io/instance=%s, and upgrade again: Redis starts empty and the consumer refills it from Kafka, as far as Kafka's retention reaches (see \"Redis Cluster\" in the chart README)" $installed.spec.replicas $redisNodes $.Release.Namespace $name $.Release.Namespace $.Release.Name) }}
{{- end }}
{{- if and (eq $component "kafka") (ne (int $installed.spec.replicas) (int $values.replicas)) }}
{{- $problems = append $problems (printf "kafka.replicas %v -> %v: a KRaft quorum's voters are fixed when it is formed, so the broker count cannot change in place. Let the consumer catch up (lag 0), then run: kubectl -n %s delete statefulset %s && kubectl -n %s delete pvc -l app.kubernetes.io/component=kafka,app.kubernetes.io/instance=%s, and upgrade again; the new cluster starts empty, the consumer recognises the new log and the aggregates in Redis stay (see \"Scaling Kafka\" in the chart README)" $installed.spec.replicas $values.replicas $.Release.Namespace $name $.Release.Namespace $.Release.Name) }}
{{- end }}
{{- if ne $installed.spec.serviceName (printf "%s-headless" $name) }}
{{- $changes = append $changes (printf "serviceName %s -> %s-headless (chart 0.1.x to 0.2)" $installed.spec.serviceName $name) }}
{{- end }}
{{- if $changes }}
{{- $problems = append $problems (printf "StatefulSet %s cannot change in place (%s). Run: kubectl -n %s delete statefulset %s --cascade=orphan, then upgrade again: the pod is replaced, and an existing claim data-%s-0 is reused (delete it too to start empty)" $name (join ", " $changes) $.Release.Namespace $name $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $problems }}
{{- end }}

{{/*
Egress rules of the apps: DNS, the in-chart Kafka and Redis pods (or the external ones' ports),
networkPolicy.extraEgress. Pass a dict with ctx, dns (the DNS rule) and app (peers by component).
*/}}
{{- define "rate.appEgress" -}}
{{- $ctx := .ctx }}
{{- $rules := list .dns }}
{{- if $ctx.Values.kafka.enabled }}
{{- $rules = append $rules (dict "to" (list .app.kafka) "ports" (list (dict "port" "kafka" "protocol" "TCP"))) }}
{{- else }}
{{- range splitList "," (include "rate.externalKafkaPorts" $ctx) }}
{{- $rule := dict "ports" (list (dict "port" (int .) "protocol" "TCP")) }}
{{- with $ctx.Values.networkPolicy.externalKafka }}{{ $_ := set $rule "to" . }}{{ end }}
{{- $rules = append $rules $rule }}
{{- end }}
{{- end }}
{{- if $ctx.Values.redis.enabled }}
{{- $rules = append $rules (dict "to" (list .app.redis) "ports" (list (dict "port" "redis" "protocol" "TCP"))) }}
{{- else }}
{{- range splitList "," (include "rate.externalRedisPorts" $ctx) }}
{{- $rule := dict "ports" (list (dict "port" (int .) "protocol" "TCP")) }}
{{- with $ctx.Values.networkPolicy.externalRedis }}{{ $_ := set $rule "to" . }}{{ end }}
{{- $rules = append $rules $rule }}
{{- end }}
{{- end }}
{{- toYaml (concat $rules $ctx.Values.networkPolicy.extraEgress) }}
{{- end }}

{{/* A Kubernetes quantity of bytes ("2Gi", "1.5Gi", "500M", "1073741824") as an integer. */}}
{{- define "rate.bytes" -}}
{{- $s := toString . -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $s -}}
{{- $unit := substr (len $number) (len $s) $s -}}
{{- $factors := dict "" 1 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- if or (eq $number "") (not (hasKey $factors $unit)) -}}
{{- fail (printf "kafka.persistence.size must be a byte quantity such as 2Gi or 500M, got %q" $s) -}}
{{- end -}}
{{- mulf (float64 $number) (get $factors $unit) | int64 -}}
{{- end }}

{{/*
log.retention.bytes of one partition: the share of the volume given to the logs, over the partitions
of the topic and its dead-letter topic, less one segment each (the active segment is never deleted).
*/}}
{{/*
Durability of an in-chart KRaft quorum: replication factor 3 (or every node when fewer), and
min.insync.replicas one less, so an acks=all write survives a node lost and one node may be down.
*/}}
{{- define "rate.kafkaReplicationFactor" -}}
{{- min (int .Values.kafka.replicas) 3 -}}
{{- end }}

{{- define "rate.kafkaMinInsyncReplicas" -}}
{{- max 1 (sub (min (int .Values.kafka.replicas) 3) 1) -}}
{{- end }}

{{/* What the apps create their topics with and check at start: the value, or derived from an in-chart quorum. */}}
{{- define "rate.topicDurability" -}}
{{- $derive := and .ctx.Values.kafka.enabled (gt (int .ctx.Values.kafka.replicas) 1) (eq (int .value) -1) -}}
{{- ternary (include .derived .ctx) (toString .value) $derive -}}
{{- end }}

{{- define "rate.kafkaRetentionBytes" -}}
{{- $logs := div (mul (include "rate.bytes" .Values.kafka.persistence.size | int64) (int64 .Values.kafka.retention.volumePercent)) 100 -}}
{{- $perPartition := div $logs (add (int64 .Values.config.kafkaPartitions) 1) -}}
{{- sub $perPartition (include "rate.kafkaSegmentBytes" . | int64) -}}
{{- end }}

{{/* log.segment.bytes: a fifth of a partition's share (retention deletes whole segments), 1 MiB .. 1 GiB. */}}
{{- define "rate.kafkaSegmentBytes" -}}
{{- $logs := div (mul (include "rate.bytes" .Values.kafka.persistence.size | int64) (int64 .Values.kafka.retention.volumePercent)) 100 -}}
{{- $segment := div (div $logs (add (int64 .Values.config.kafkaPartitions) 1)) 5 -}}
{{- max 1048576 (min 1073741824 $segment) -}}
{{- end }}
