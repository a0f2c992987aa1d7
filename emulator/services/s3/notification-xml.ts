// A bucket's notification configuration on the wire: `<NotificationConfiguration>` read into the store's shape and
// written back, with the SDK's CloudFunction spellings. The rules (destinations, filters) are notifications.ts's.
import { MalformedXML } from './errors.js';
import { normaliseFilterRuleName, type DestinationKind, type NotificationConfiguration, type NotificationDestination } from './notifications.js';
import { child, children, isNode, tag, text, type XmlNode } from './xml.js';

const DESTINATION_ELEMENTS: { kind: DestinationKind; elements: string[]; arnElements: string[]; wireElement: string; wireArn: string }[] = [
  // The SDK's LambdaFunctionConfigurations travel as CloudFunctionConfiguration/CloudFunction; accept both spellings.
  { kind: 'lambda', elements: ['CloudFunctionConfiguration', 'LambdaFunctionConfiguration'], arnElements: ['CloudFunction', 'LambdaFunctionArn'], wireElement: 'CloudFunctionConfiguration', wireArn: 'CloudFunction' },
  { kind: 'queue', elements: ['QueueConfiguration'], arnElements: ['Queue', 'QueueArn'], wireElement: 'QueueConfiguration', wireArn: 'Queue' },
  { kind: 'topic', elements: ['TopicConfiguration'], arnElements: ['Topic', 'TopicArn'], wireElement: 'TopicConfiguration', wireArn: 'Topic' },
];

/** Reads `<NotificationConfiguration>` into the store's shape. Structure errors are MalformedXML, as in S3. */
export function parseNotificationConfiguration(root: XmlNode): NotificationConfiguration {
  const destinations: NotificationDestination[] = [];
  for (const spec of DESTINATION_ELEMENTS) {
    for (const elementName of spec.elements) {
      for (const entry of children(root, elementName)) {
        if (!isNode(entry)) throw new MalformedXML();
        const arn = spec.arnElements.map((name) => text(entry, name)).find((value) => value !== undefined);
        const events = children(entry, 'Event').filter((value): value is string => typeof value === 'string');
        if (!arn || events.length === 0) throw new MalformedXML();
        const s3Key = child(child(entry, 'Filter'), 'S3Key');
        const filterRules = children(s3Key, 'FilterRule').map((rule) => {
          const name = text(rule, 'Name');
          const value = text(rule, 'Value');
          if (name === undefined || value === undefined) throw new MalformedXML();
          return { name: normaliseFilterRuleName(name), value };
        });
        destinations.push({ kind: spec.kind, id: text(entry, 'Id') ?? '', arn, events, filterRules });
      }
    }
  }
  return { destinations, eventBridge: root.EventBridgeConfiguration !== undefined };
}

export function notificationConfigurationXml(configuration: NotificationConfiguration): string {
  const parts: string[] = [];
  for (const spec of DESTINATION_ELEMENTS) {
    for (const destination of configuration.destinations.filter((entry) => entry.kind === spec.kind)) {
      const filter =
        destination.filterRules.length > 0
          ? `<Filter><S3Key>${destination.filterRules.map((rule) => `<FilterRule>${tag('Name', rule.name)}${tag('Value', rule.value)}</FilterRule>`).join('')}</S3Key></Filter>`
          : '';
      parts.push(
        `<${spec.wireElement}>${tag('Id', destination.id)}${tag(spec.wireArn, destination.arn)}${destination.events.map((event) => tag('Event', event)).join('')}${filter}</${spec.wireElement}>`,
      );
    }
  }
  if (configuration.eventBridge) parts.push('<EventBridgeConfiguration></EventBridgeConfiguration>');
  return parts.join('');
}
