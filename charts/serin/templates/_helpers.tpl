{{/*
Names and labels shared by every template. The chart adds no Helm-specific labels (helm.sh/chart,
app.kubernetes.io/instance, app.kubernetes.io/managed-by): its objects carry exactly the labels of manifests/, so the
default render equals `kubectl kustomize manifests/`. Helm records ownership in its own annotations.
*/}}

{{/* The app name: "serin", or nameOverride. */}}
{{- define "serin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The base name of every object: fullnameOverride; else the release name when it contains the app name (a release
named serin gives serin, as manifests/ names things); else <release>-<name>. */}}
{{- define "serin.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "serin.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Selects the operator's pods (Deployment, Service, NetworkPolicy, ServiceMonitor, spread constraints). */}}
{{- define "serin.selectorLabels" -}}
app.kubernetes.io/name: {{ include "serin.name" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The labels of every object but the CRD and the Namespace. */}}
{{- define "serin.labels" -}}
{{ include "serin.selectorLabels" . }}
app.kubernetes.io/part-of: serin
{{- end -}}

{{- define "serin.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "serin.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret names the Deployment reads: an existing Secret when named, else the chart's. */}}
{{- define "serin.httpsSecretName" -}}
{{- default (printf "%s-git-https" (include "serin.fullname" .)) .Values.credentials.https.existingSecret -}}
{{- end -}}
{{- define "serin.sshSecretName" -}}
{{- default (printf "%s-git-ssh" (include "serin.fullname" .)) .Values.credentials.ssh.existingSecret -}}
{{- end -}}
{{- define "serin.webhookSecretName" -}}
{{- default (printf "%s-webhook" (include "serin.fullname" .)) .Values.webhook.existingSecret -}}
{{- end -}}

{{/* The Namespace whose Role holds the Lease: the models' namespace in namespaced mode, else the release's. */}}
{{- define "serin.leaseNamespace" -}}
{{- if .Values.rbac.namespaced.enabled -}}
{{- .Values.rbac.namespaced.namespace -}}
{{- else -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end -}}
