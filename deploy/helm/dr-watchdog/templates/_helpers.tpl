{{/* Common names and labels. The job label of the PodMonitor is the app name: "dr-watchdog". */}}
{{- define "dr-watchdog.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dr-watchdog.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: watchdog
{{- end -}}

{{- define "dr-watchdog.labels" -}}
{{ include "dr-watchdog.selectorLabels" . }}
app.kubernetes.io/part-of: dr-watchdog
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "dr-watchdog.secretName" -}}
{{- .Values.credentials.existingSecret | default (printf "%s-credentials" (include "dr-watchdog.fullname" .)) -}}
{{- end -}}

{{- /* "true" with ha.backend kubernetes (after checking ha.backend and ha.replicas), else "false" */ -}}
{{- define "dr-watchdog.ha" -}}
{{- if not (has .Values.ha.backend (list "none" "kubernetes")) -}}
{{- fail (printf "ha.backend: must be none or kubernetes (got %v)" .Values.ha.backend) -}}
{{- end -}}
{{- if and (eq .Values.ha.backend "kubernetes") (lt (int .Values.ha.replicas) 2) -}}
{{- fail (printf "ha.replicas: must be at least 2 with ha.backend kubernetes (got %v)" .Values.ha.replicas) -}}
{{- end -}}
{{- eq .Values.ha.backend "kubernetes" -}}
{{- end -}}
