// The yardstick for bench/webhook.sh: what Kestrel and a minimal API cost on this machine with nothing else. It does
// the HTTP part of the gateway's webhook (same host builder, a route with {appId}, read the whole body, answer
// `success` as text/plain) and none of the rest (no signature, no XML, no MySQL, no Redis), so the gateway's ratio
// to it is the share of the machine that the real work leaves.
using System.Buffers;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/healthz", () => TypedResults.Text("ok"));
app.MapPost("/wechat/{appId}", async (HttpRequest request, CancellationToken ct) =>
{
    // Read the whole body into a pooled 64 KiB buffer, as the gateway does, so both pay for receiving the same bytes.
    var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024 + 1);
    try
    {
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        return TypedResults.Text(length > 0 ? "success" : "empty body", "text/plain");
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
});

await app.RunAsync();
