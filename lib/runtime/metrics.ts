import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * What business code counts, without knowing where counts go: CloudWatch EMF in Lambda (Powertools), nothing
 * in the CLI, an array in tests. Dimensions are the labels (`action`, `reason`), kept low-cardinality.
 */
export interface MetricsSink {
  count(name: string, value: number, dimensions?: Record<string, string>): void;
}

export const noMetrics: MetricsSink = { count() {} };

/** Powertools Metrics as a sink. Dimensioned counts go out as single metrics (one EMF record each). */
export function powertoolsSink(metrics: Metrics): MetricsSink {
  return {
    count(name, value, dimensions) {
      if (!dimensions || Object.keys(dimensions).length === 0) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
      single.addMetric(name, MetricUnit.Count, value);
    },
  };
}

export function createMetrics(service: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'pullwatch',
    serviceName: service,
  });
}

export type { Metrics };
