//! Sending spans to an OTLP receiver, each under the name of the service whose work it was.
//!
//! One process may run several services (the all-in-one `shopper`), and OTLP names the service
//! once per batch (its resource), not per span. So the context a service's work runs in carries
//! the service's name ([`ServiceName`]); [`TagService`] copies it onto each span as it starts, and
//! [`ByService`] sends each service's spans with a resource of its own.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use opentelemetry::{Context, KeyValue, Value, trace::Span as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    error::{OTelSdkError, OTelSdkResult},
    trace::{BatchSpanProcessor, Sampler, SdkTracerProvider, Span, SpanData, SpanExporter, SpanProcessor},
};

use super::propagation::ServiceName;
use crate::config::{ConfigError, Env};

/// The attribute that carries a span's service from [`TagService`] to [`ByService`], which
/// removes it again: on the wire the service is the resource's `service.name`.
const SERVICE_ATTRIBUTE: &str = "shopper.service";

/// The wire format of the OTLP export (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportProtocol {
    /// `http/protobuf`, the default.
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
}

/// Where and how spans are exported: the standard OTLP variables.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, or `OTEL_EXPORTER_OTLP_ENDPOINT` with
    /// `/v1/traces` appended.
    pub endpoint: String,
    /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub protocol: ExportProtocol,
    /// `OTEL_SERVICE_NAME`: the name a single-service process reports instead of its own; the
    /// all-in-one binary clears it, each of its services reporting its own name.
    pub service_name: Option<String>,
}

impl ExportSettings {
    /// `None` unless an endpoint is set (and `OTEL_SDK_DISABLED` is not `true`). The request
    /// headers (`OTEL_EXPORTER_OTLP_HEADERS`), timeout and compression are read by the exporter
    /// itself; the sampler (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`), the batching
    /// (`OTEL_BSP_*`) and extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`) by the SDK.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        if env.parse_or("OTEL_SDK_DISABLED", false)? {
            return Ok(None);
        }
        let endpoint = match env.text("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")? {
            Some(endpoint) => endpoint,
            None => match env.text("OTEL_EXPORTER_OTLP_ENDPOINT")? {
                Some(base) => format!("{}/v1/traces", base.trim_end_matches('/')),
                None => return Ok(None),
            },
        };
        let protocol_var = if env.text("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")?.is_some() {
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
        } else {
            "OTEL_EXPORTER_OTLP_PROTOCOL"
        };
        let protocol = match env.text(protocol_var)?.as_deref() {
            None | Some("http/protobuf") => ExportProtocol::HttpProtobuf,
            Some("http/json") => ExportProtocol::HttpJson,
            Some(other) => {
                return Err(ConfigError::invalid(
                    protocol_var,
                    format!("`{other}` is not supported: use `http/protobuf` (port 4318) or `http/json`"),
                ));
            }
        };
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(ConfigError::invalid(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "expected an http:// or https:// URL",
            ));
        }
        Ok(Some(Self { endpoint, protocol, service_name: env.text("OTEL_SERVICE_NAME")? }))
    }
}

/// The process's tracer provider. Without export settings a new trace is not sampled (a caller's
/// decision is kept) and nothing is sent; with them, spans are batched and sent per service.
pub(super) fn provider(export: Option<&ExportSettings>, process: &'static str) -> SdkTracerProvider {
    let Some(settings) = export else {
        return SdkTracerProvider::builder()
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
            .build();
    };
    let exporter = ByService { settings: settings.clone(), process, exporters: Mutex::default() };
    // The sampler is the SDK's default unless `OTEL_TRACES_SAMPLER` says otherwise.
    SdkTracerProvider::builder()
        .with_span_processor(TagService(BatchSpanProcessor::builder(exporter).build()))
        .build()
}

/// Tags each span with the service of the context it starts in, then hands it on.
#[derive(Debug)]
struct TagService<P>(P);

impl<P: SpanProcessor> SpanProcessor for TagService<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        if let Some(ServiceName(name)) = cx.get::<ServiceName>() {
            span.set_attribute(KeyValue::new(SERVICE_ATTRIBUTE, *name));
        }
        self.0.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        self.0.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// Sends each service's spans through an OTLP exporter whose resource names that service.
#[derive(Debug)]
struct ByService {
    settings: ExportSettings,
    /// The name of spans no service's context encloses.
    process: &'static str,
    exporters: Mutex<HashMap<String, Arc<opentelemetry_otlp::SpanExporter>>>,
}

impl ByService {
    fn exporter(&self, service: &str) -> Result<Arc<opentelemetry_otlp::SpanExporter>, OTelSdkError> {
        let mut exporters = self.exporters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(exporter) = exporters.get(service) {
            return Ok(exporter.clone());
        }
        let protocol = match self.settings.protocol {
            ExportProtocol::HttpProtobuf => Protocol::HttpBinary,
            ExportProtocol::HttpJson => Protocol::HttpJson,
        };
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(&self.settings.endpoint)
            .with_protocol(protocol)
            .build()
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
        // The SDK's detectors first (`OTEL_RESOURCE_ATTRIBUTES`, the SDK's own attributes), then
        // the service's name over whatever they said.
        let name = self.settings.service_name.clone().unwrap_or_else(|| service.to_owned());
        exporter.set_resource(&Resource::builder().with_service_name(name).build());
        let exporter = Arc::new(exporter);
        exporters.insert(service.to_owned(), exporter.clone());
        Ok(exporter)
    }

    fn all(&self) -> Vec<Arc<opentelemetry_otlp::SpanExporter>> {
        self.exporters.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }
}

impl SpanExporter for ByService {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut by_service: HashMap<String, Vec<SpanData>> = HashMap::new();
        for mut span in batch {
            let tag = span.attributes.iter().position(|kv| kv.key.as_str() == SERVICE_ATTRIBUTE);
            let service = match tag.map(|at| span.attributes.swap_remove(at).value) {
                Some(Value::String(name)) => name.to_string(),
                _ => self.process.to_owned(),
            };
            by_service.entry(service).or_default().push(span);
        }
        let mut outcome = Ok(());
        for (service, spans) in by_service {
            let sent = match self.exporter(&service) {
                Ok(exporter) => exporter.export(spans).await,
                Err(error) => Err(error),
            };
            outcome = outcome.and(sent);
        }
        outcome
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.all().iter().try_for_each(|exporter| exporter.force_flush())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.all().iter().try_for_each(|exporter| exporter.shutdown_with_timeout(timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Option<ExportSettings>, ConfigError> {
        ExportSettings::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn nothing_is_exported_without_an_endpoint_or_when_disabled() {
        assert!(settings(&[]).unwrap().is_none());
        let disabled =
            [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"), ("OTEL_SDK_DISABLED", "true")];
        assert!(settings(&disabled).unwrap().is_none());
    }

    #[test]
    fn the_base_endpoint_gets_the_traces_path_and_the_traces_endpoint_is_kept_as_given() {
        let base = settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]).unwrap().unwrap();
        assert_eq!(base.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(base.protocol, ExportProtocol::HttpProtobuf);
        let exact = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example/ingest"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(exact.endpoint, "https://traces.example/ingest");
        assert_eq!(exact.protocol, ExportProtocol::HttpJson);
    }

    #[test]
    fn grpc_and_odd_endpoints_are_refused_by_name() {
        let grpc = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        assert!(grpc.unwrap_err().to_string().contains("OTEL_EXPORTER_OTLP_PROTOCOL"));
        assert!(settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]).is_err());
    }
}
