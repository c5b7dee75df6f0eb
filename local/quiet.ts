// Imported first by the local entry points. The AWS SDK announces that it will drop Node 20; the local
// runner is pinned to Node 20 on purpose, so the notice is silenced here (not by patching the SDK).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
