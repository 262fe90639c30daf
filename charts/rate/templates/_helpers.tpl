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

{{/* Redis URL: the in-chart Redis Service, or the external URL. */}}
{{- define "rate.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s-redis.%s.svc.cluster.local:6379" (include "rate.fullname" .) .Release.Namespace }}
{{- else }}
{{- .Values.redis.external.url }}
{{- end }}
{{- end }}

{{/* Restricted pod security (Pod Security Standards "restricted"). */}}
{{- define "rate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Restricted container security; pass a dict with readOnly. */}}
{{- define "rate.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .readOnly }}
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* Collects every value problem and fails once, readably. */}}
{{- define "rate.validateValues" -}}
{{- $errors := list }}
{{- if and (not .Values.kafka.enabled) (not .Values.kafka.external.brokers) }}
{{- $errors = append $errors "kafka.enabled=false needs kafka.external.brokers (host:port list)" }}
{{- end }}
{{- if and (not .Values.redis.enabled) (not .Values.redis.external.url) }}
{{- $errors = append $errors "redis.enabled=false needs redis.external.url (redis://host:port)" }}
{{- end }}
{{- if gt (int .Values.config.rateMin) (int .Values.config.rateMax) }}
{{- $errors = append $errors (printf "config.rateMin (%v) is above config.rateMax (%v)" .Values.config.rateMin .Values.config.rateMax) }}
{{- end }}
{{- if and .Values.gateway.enabled (empty .Values.gateway.parentRefs) }}
{{- $errors = append $errors "gateway.enabled=true needs gateway.parentRefs (the Gateway to attach the HTTPRoute to)" }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n\nrate chart values are invalid:\n  - %s\n" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}
