<?php
// composer require standard-webhooks/standard-webhooks
// SHIPRELAY_SIGNING_SECRET=whsec_… php -S localhost:3000 php.php
require __DIR__ . '/vendor/autoload.php';

use StandardWebhooks\Webhook;
use StandardWebhooks\Exception\WebhookVerificationException;

$wh = new Webhook(getenv('SHIPRELAY_SIGNING_SECRET'));
$body = file_get_contents('php://input'); // the raw body: verify before parsing
$headers = [
    'webhook-id' => $_SERVER['HTTP_WEBHOOK_ID'] ?? '',
    'webhook-timestamp' => $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '',
    'webhook-signature' => $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '',
];

try {
    $event = $wh->verify($body, $headers); // the decoded event as an array
} catch (WebhookVerificationException $e) {
    http_response_code(401);
    echo 'bad signature';
    exit;
}

error_log($headers['webhook-id'] . ' ' . $event['type'] . ' ' . $event['id']);
http_response_code(204); // any 2xx acknowledges; anything else is retried
