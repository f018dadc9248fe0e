using System.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace WechatGateway.Tests.Storage;

/// <summary>
/// The gateway's pool does not reset a connection it hands out again (<c>ConnectionReset=false</c>); these tests hold
/// the reasons that is safe to what the server says.
/// </summary>
public sealed class PooledConnectionTests
{
    private static MySqlDataSource DataSource => TestEnvironment.Gateway.Services.GetRequiredService<MySqlDataSource>();

    [Test]
    public async Task ATransactionThatNamesNoIsolationLevelRunsRepeatableReadAfterItsConnectionServedReadCommitted()
    {
        // The pool hands back the session just returned unless another user took it meanwhile: tried until it does.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            long before;
            await using (var connection = await DataSource.OpenConnectionAsync())
            {
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted);
                before = await connection.ExecuteScalarAsync<long>("SELECT CONNECTION_ID()", transaction: transaction);
                await transaction.CommitAsync();
            }

            await using var reused = await DataSource.OpenConnectionAsync();
            await using var plain = await reused.BeginTransactionAsync();
            if (await reused.ExecuteScalarAsync<long>("SELECT CONNECTION_ID()", transaction: plain) != before)
            {
                continue;
            }

            Assert.That(await reused.ExecuteScalarAsync<string>("SELECT @@tx_isolation", transaction: plain), Is.EqualTo("REPEATABLE-READ"),
                "the level is set by each BeginTransaction, not left from the session's last user");
            return;
        }

        Assert.Fail("the pool never handed back the session a READ COMMITTED transaction had used");
    }

    [Test]
    public void TheGatewaysPoolDoesNotResetButAConnectionStringThatAsksForItIsObeyed()
    {
        var configured = new MySqlConnectionStringBuilder(WechatGateway.Storage.StorageServiceExtensions.ConnectionString("Server=db;User ID=wg"));
        var asked = new MySqlConnectionStringBuilder(WechatGateway.Storage.StorageServiceExtensions.ConnectionString("Server=db;User ID=wg;ConnectionReset=true"));

        Assert.That(configured.ConnectionReset, Is.False);
        Assert.That(configured.DateTimeKind, Is.EqualTo(MySqlDateTimeKind.Utc));
        Assert.That(asked.ConnectionReset, Is.True);
    }

    [Test]
    public async Task APushBatchTheServerRefusesLeavesNoTransactionOpenOnItsPooledConnection()
    {
        var push = WechatGateway.Wechat.Messages.WechatPushParser.Parse(
            "<xml><ToUserName>gh_x</ToUserName><FromUserName>o_refused</FromUserName><CreateTime>1764554403</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>");
        // An app id longer than its column: the server refuses the INSERT after the batch's START TRANSACTION ran.
        var record = new WechatGateway.Webhook.PushToRecord(new string('x', 200), push, "plain", "<xml/>", null);
        var row = new WechatGateway.Webhook.PushRow(record, WechatGateway.Webhook.PushTable.DedupHash(push), 1, DateTime.UtcNow);
        var table = TestEnvironment.Gateway.Services.GetRequiredService<WechatGateway.Webhook.PushTable>();
        long refusedOn = 0;
        await using (var probe = await DataSource.OpenConnectionAsync())
        {
            refusedOn = await probe.ExecuteScalarAsync<long>("SELECT CONNECTION_ID()");
        }

        Assert.That(async () => await table.InsertAsync([row], CancellationToken.None), Throws.InstanceOf<MySqlException>());

        for (var attempt = 0; attempt < 20; attempt++)
        {
            await using var reused = await DataSource.OpenConnectionAsync();
            if (await reused.ExecuteScalarAsync<long>("SELECT CONNECTION_ID()") != refusedOn)
            {
                continue;
            }

            Assert.That(await reused.ExecuteScalarAsync<long>("SELECT @@in_transaction"), Is.Zero, "rolled back before the connection went back to the pool");
            Assert.That(await reused.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id = 'o_refused'"), Is.Zero);
            return;
        }

        Assert.Fail("the pool never handed back the refused batch's session");
    }
}
