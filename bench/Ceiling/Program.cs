// The durable ceiling for bench/webhook.sh (issue 16): the most any design can answer per second on this box when a
// push must be committed to MariaDB before WeChat gets its 200. Per request it does only what no design can skip:
// check the query signature, open the body (msg_signature, AES and XML, with the gateway's own protocol code, so
// the ceiling and the gateway pay the same for the protocol), and wait for its row to be committed. Rows are
// group-committed: each writer loop takes every request waiting (up to CEILING_BATCH) and writes them with one
// multi-row INSERT IGNORE under the same unique dedup key the gateway uses, autocommit, one round trip. No replay
// guard, no members, no replies, no processing stage, no metrics: the gateway's ratio to it is what that work costs.
//
// Configuration (environment): CEILING_MYSQL (connection string, database included; the table is created),
// CEILING_ACCOUNTS ("appId:token:mode[:encodingAesKey]" separated by ';', mode Plain or Safe), CEILING_WRITERS (2),
// CEILING_BATCH (500).
using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using MySqlConnector;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;

var connectionString = Environment.GetEnvironmentVariable("CEILING_MYSQL") ?? throw new InvalidOperationException("CEILING_MYSQL is required");
var writers = int.Parse(Environment.GetEnvironmentVariable("CEILING_WRITERS") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
var batchSize = int.Parse(Environment.GetEnvironmentVariable("CEILING_BATCH") ?? "500", System.Globalization.CultureInfo.InvariantCulture);
var accounts = new Dictionary<string, PushEndpoint>(StringComparer.Ordinal);
foreach (var spec in (Environment.GetEnvironmentVariable("CEILING_ACCOUNTS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
{
    var parts = spec.Split(':');
    var mode = Enum.Parse<PushSecurityMode>(parts[2], ignoreCase: true);
    accounts[parts[0]] = new PushEndpoint(parts[1], mode, parts.Length > 3 ? new WechatMessageCrypto(parts[3], parts[0]) : null);
}

await using (var setup = new MySqlConnection(connectionString))
{
    await setup.OpenAsync();
    await using var create = new MySqlCommand("""
        CREATE TABLE IF NOT EXISTS ceiling_push (
            id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
            app_id      VARCHAR(64)  NOT NULL,
            dedup_hash  BINARY(32)   NOT NULL,
            open_id     VARCHAR(128) NOT NULL,
            msg_type    VARCHAR(32)  NOT NULL,
            create_time BIGINT       NOT NULL,
            raw_xml     MEDIUMTEXT   NOT NULL,
            received_at DATETIME(6)  NOT NULL,
            PRIMARY KEY (id),
            UNIQUE KEY ux_ceiling_push_dedup (app_id, dedup_hash)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
        """, setup);
    await create.ExecuteNonQueryAsync();
}

var queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
var loops = Enumerable.Range(0, writers).Select(_ => Task.Run(() => WriteLoopAsync(queue.Reader, connectionString, batchSize))).ToArray();

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => TypedResults.Text("ok"));
app.MapPost("/wechat/{appId}", async (string appId, HttpRequest request, CancellationToken ct) =>
{
    if (!accounts.TryGetValue(appId, out var endpoint))
    {
        return Results.NotFound();
    }

    var q = request.Query;
    string timestamp = q["timestamp"].ToString(), nonce = q["nonce"].ToString();
    if (!WechatSignature.Verify(endpoint.Token, timestamp, nonce, q["signature"].ToString()))
    {
        return Results.Unauthorized();
    }

    var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024 + 1);
    InboundPush inbound;
    try
    {
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        inbound = WechatInbound.Open(buffer.AsSpan(0, length), endpoint, new PushQuery(timestamp, nonce, q["encrypt_type"].ToString(), q["msg_signature"].ToString()));
    }
    catch (WechatSignatureException)
    {
        return Results.Unauthorized();
    }
    catch (Exception e) when (e is WechatXmlException or WechatCryptoException)
    {
        return Results.BadRequest();
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }

    var pending = new Pending(appId, inbound);
    queue.Writer.TryWrite(pending);
    await pending.Committed.Task;
    return Results.Text("success", "text/plain");
});

await app.RunAsync();
queue.Writer.Complete();
await Task.WhenAll(loops);

static async Task WriteLoopAsync(ChannelReader<Pending> reader, string connectionString, int batchSize)
{
    var batch = new List<Pending>(batchSize);
    await using var connection = new MySqlConnection(connectionString);
    await connection.OpenAsync();
    while (await reader.WaitToReadAsync())
    {
        batch.Clear();
        while (batch.Count < batchSize && reader.TryRead(out var next))
        {
            batch.Add(next);
        }

        if (batch.Count == 0)
        {
            continue;
        }

        try
        {
            await using var insert = connection.CreateCommand();
            var sql = new StringBuilder("INSERT IGNORE INTO ceiling_push (app_id, dedup_hash, open_id, msg_type, create_time, raw_xml, received_at) VALUES ");
            var now = DateTime.UtcNow;
            for (var i = 0; i < batch.Count; i++)
            {
                var push = batch[i].Inbound.Push;
                sql.Append(i == 0 ? "" : ",").Append($"(@a{i},@h{i},@o{i},@t{i},@c{i},@x{i},@r)");
                insert.Parameters.AddWithValue($"@a{i}", batch[i].AppId);
                insert.Parameters.AddWithValue($"@h{i}", SHA256.HashData(Encoding.UTF8.GetBytes(push.DeduplicationKey)));
                insert.Parameters.AddWithValue($"@o{i}", push.FromUserName);
                insert.Parameters.AddWithValue($"@t{i}", push.MsgType);
                insert.Parameters.AddWithValue($"@c{i}", push.CreateTime);
                insert.Parameters.AddWithValue($"@x{i}", batch[i].Inbound.PlainText);
            }

            insert.Parameters.AddWithValue("@r", now);
            insert.CommandText = sql.ToString();
            await insert.ExecuteNonQueryAsync();
            foreach (var p in batch)
            {
                p.Committed.TrySetResult();
            }
        }
        catch (Exception e)
        {
            foreach (var p in batch)
            {
                p.Committed.TrySetException(e);
            }
        }
    }
}

internal sealed record Pending(string AppId, InboundPush Inbound)
{
    public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
