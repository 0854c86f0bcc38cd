{{/* Chart name, overridable. */}}
{{- define "keyshare.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: release + chart unless the release name already contains the chart name. */}}
{{- define "keyshare.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on every resource. */}}
{{- define "keyshare.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "keyshare.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: keyshare-detector
{{- end -}}

{{/* Selector labels: stable across upgrades. */}}
{{- define "keyshare.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keyshare.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Service account name. */}}
{{- define "keyshare.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "keyshare.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret the chart creates for inline secret values. */}}
{{- define "keyshare.inlineSecretName" -}}
{{- printf "%s-secrets" (include "keyshare.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "true" when any secret is given inline (the chart then creates a Secret). */}}
{{- define "keyshare.hasInlineSecrets" -}}
{{- if or .Values.kafka.sasl.password .Values.kafka.ssl.keyPassword .Values.signing.secret -}}true{{- end -}}
{{- end -}}

{{/* Secret name and key of the SASL password. */}}
{{- define "keyshare.saslSecretName" -}}
{{- if .Values.kafka.sasl.existingSecret }}{{ .Values.kafka.sasl.existingSecret }}{{ else }}{{ include "keyshare.inlineSecretName" . }}{{ end -}}
{{- end -}}
{{- define "keyshare.saslSecretKey" -}}
{{- if .Values.kafka.sasl.existingSecret }}{{ .Values.kafka.sasl.existingSecretKey }}{{ else }}kafka-sasl-password{{ end -}}
{{- end -}}

{{/* Secret name and key of the TLS private key password. */}}
{{- define "keyshare.sslKeyPasswordSecretName" -}}
{{- if .Values.kafka.ssl.keyPasswordExistingSecret }}{{ .Values.kafka.ssl.keyPasswordExistingSecret }}{{ else }}{{ include "keyshare.inlineSecretName" . }}{{ end -}}
{{- end -}}
{{- define "keyshare.sslKeyPasswordSecretKey" -}}
{{- if .Values.kafka.ssl.keyPasswordExistingSecret }}{{ .Values.kafka.ssl.keyPasswordExistingSecretKey }}{{ else }}kafka-ssl-key-password{{ end -}}
{{- end -}}

{{/* Secret name and key of the signing secret. */}}
{{- define "keyshare.signingSecretName" -}}
{{- if .Values.signing.existingSecret }}{{ .Values.signing.existingSecret }}{{ else }}{{ include "keyshare.inlineSecretName" . }}{{ end -}}
{{- end -}}
{{- define "keyshare.signingSecretKey" -}}
{{- if .Values.signing.existingSecret }}{{ .Values.signing.existingSecretKey }}{{ else }}signing-secret{{ end -}}
{{- end -}}

{{/* "true" when SASL / TLS is on. */}}
{{- define "keyshare.saslEnabled" -}}
{{- if has .Values.kafka.securityProtocol (list "SaslPlaintext" "SaslSsl") -}}true{{- end -}}
{{- end -}}
{{- define "keyshare.sslEnabled" -}}
{{- if has .Values.kafka.securityProtocol (list "Ssl" "SaslSsl") -}}true{{- end -}}
{{- end -}}

{{/* Policy file paths, comma-separated, as the detector reads them (Policy:Files). */}}
{{- define "keyshare.policyFiles" -}}
{{- $paths := list -}}
{{- if .Values.policy.existingConfigMap -}}
{{- range .Values.policy.existingConfigMapKeys -}}
{{- $paths = append $paths (printf "/etc/keyshare/policy/%s" .) -}}
{{- end -}}
{{- else -}}
{{- range $file, $_ := .Values.policy.files -}}
{{- $paths = append $paths (printf "/etc/keyshare/policy/%s" $file) -}}
{{- end -}}
{{- end -}}
{{- join "," $paths -}}
{{- end -}}

{{/* limits.memory in MiB (Mi, Gi, M, G or plain bytes); 0 when it cannot be read. */}}
{{- define "keyshare.memoryLimitMi" -}}
{{- $m := toString .Values.resources.limits.memory -}}
{{- if hasSuffix "Gi" $m -}}{{ mul (trimSuffix "Gi" $m | int) 1024 }}
{{- else if hasSuffix "Mi" $m -}}{{ trimSuffix "Mi" $m | int }}
{{- else if hasSuffix "G" $m -}}{{ div (mul (trimSuffix "G" $m | int64) 1000000000) 1048576 }}
{{- else if hasSuffix "M" $m -}}{{ div (mul (trimSuffix "M" $m | int64) 1000000) 1048576 }}
{{- else if regexMatch "^[0-9]+$" $m -}}{{ div ($m | int64) 1048576 }}
{{- else -}}0
{{- end -}}
{{- end -}}

{{/*
Checks that hold for every rendering; each fails the install with one line naming the value.
*/}}
{{- define "keyshare.validate" -}}
{{- if not .Values.kafka.bootstrapServers -}}
{{- fail "kafka.bootstrapServers is required" -}}
{{- end -}}
{{- if not (has .Values.kafka.securityProtocol (list "Plaintext" "Ssl" "SaslPlaintext" "SaslSsl")) -}}
{{- fail (printf "kafka.securityProtocol %q is not one of Plaintext, Ssl, SaslPlaintext, SaslSsl" .Values.kafka.securityProtocol) -}}
{{- end -}}
{{- if and (include "keyshare.saslEnabled" .) (not .Values.kafka.sasl.mechanism) -}}
{{- fail "kafka.sasl.mechanism is required with a SASL securityProtocol" -}}
{{- end -}}
{{- if and (include "keyshare.saslEnabled" .) (ne .Values.kafka.sasl.mechanism "OAUTHBEARER") (not (or .Values.kafka.sasl.existingSecret .Values.kafka.sasl.password)) -}}
{{- fail "kafka.sasl.existingSecret (or kafka.sasl.password) is required with SASL PLAIN/SCRAM" -}}
{{- end -}}
{{- if not (or .Values.signing.existingSecret .Values.signing.secret) -}}
{{- fail "signing.existingSecret (or signing.secret) is required: commands must be signed" -}}
{{- end -}}
{{- if lt (int .Values.detector.inputPartitions) 1 -}}
{{- fail "detector.inputPartitions must be >= 1" -}}
{{- end -}}
{{- if lt (int .Values.detector.fleetPartitions) 0 -}}
{{- fail "detector.fleetPartitions must be >= 0 (0 = as many as the inputs)" -}}
{{- end -}}
{{- if not (has (toString .Values.detector.keyStateFormat) (list "8" "9")) -}}
{{- fail "detector.keyStateFormat must be 8 (while upgrading from a release that does not read 9) or 9" -}}
{{- end -}}
{{- if and (ne (toString .Values.detector.tieredCallCountingDelayMs) "") (not (regexMatch "^[0-9]+$" (toString .Values.detector.tieredCallCountingDelayMs))) -}}
{{- fail (printf "detector.tieredCallCountingDelayMs must be a whole number of milliseconds >= 0 or empty, not %v" .Values.detector.tieredCallCountingDelayMs) -}}
{{- end -}}
{{- if gt (int .Values.replicaCount) (int .Values.detector.inputPartitions) -}}
{{- fail (printf "replicaCount (%d) must not exceed detector.inputPartitions (%d)" (int .Values.replicaCount) (int .Values.detector.inputPartitions)) -}}
{{- end -}}
{{- if not .Values.resources.limits.memory -}}
{{- fail "resources.limits.memory is required: it bounds RocksDB and the .NET heap" -}}
{{- end -}}
{{- $limitMi := include "keyshare.memoryLimitMi" . | int -}}
{{- if and (gt $limitMi 0) (gt (add (int .Values.detector.rocksDbMemoryMb) 256) $limitMi) -}}
{{- fail (printf "detector.rocksDbMemoryMb (%d) + 256Mi must fit in resources.limits.memory (%s)" (int .Values.detector.rocksDbMemoryMb) (toString .Values.resources.limits.memory)) -}}
{{- end -}}
{{- if le (int .Values.terminationGracePeriodSeconds) 30 -}}
{{- fail "terminationGracePeriodSeconds must be above 30 (offsets and state are flushed on SIGTERM)" -}}
{{- end -}}
{{- if and (ne .Values.geo.source "BuiltIn") (or (not .Values.geo.volume) (not .Values.geo.cityFile)) -}}
{{- fail (printf "geo.volume and geo.cityFile are required with geo.source %s" .Values.geo.source) -}}
{{- end -}}
{{- end -}}
