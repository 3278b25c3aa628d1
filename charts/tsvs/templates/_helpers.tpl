{{/* Name prefix of every object: the release name, with "-tsvs" unless it already says tsvs. */}}
{{- define "tsvs.fullname" -}}
{{- if contains "tsvs" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-tsvs" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tsvs.labels" -}}
app.kubernetes.io/name: tsvs
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: include with (list $ "controller"). */}}
{{- define "tsvs.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: tsvs
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "tsvs.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "tsvs.controllerName" -}}{{ include "tsvs.fullname" . }}-controller{{- end -}}
{{- define "tsvs.speakerName" -}}{{ include "tsvs.fullname" . }}-speaker{{- end -}}
{{- define "tsvs.webhookServiceName" -}}{{ include "tsvs.fullname" . }}-webhook{{- end -}}
{{- define "tsvs.webhookSecretName" -}}{{ include "tsvs.fullname" . }}-webhook-cert{{- end -}}
{{- define "tsvs.webhookConfigurationName" -}}{{ include "tsvs.fullname" . }}-realserver-pods{{- end -}}
