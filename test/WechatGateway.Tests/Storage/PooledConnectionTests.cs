using Dapper;
using MySqlConnector;

namespace WechatGateway.Tests.Storage;

/// <summary>What a pooled connection carries to its next user when the pool does not reset it.</summary>
public sealed class PooledConnectionTests
{
    /// <summary>A pool that does not reset (a connection string may say <c>ConnectionReset=false</c>): what a user leaves open stays open.</summary>
    private static readonly MySqlDataSource DataSource = new(
        new MySqlConnectionStringBuilder(TestEnvironment.MySqlConnectionString) { ConnectionReset = false }.ConnectionString);

    [OneTimeTearDown]
    public Task DisposeDataSourceAsync() => DataSource.DisposeAsync().AsTask();

    [Test]
    public async Task APushBatchTheServerRefusesLeavesNoTransactionOpenOnItsPooledConnection()
    {
        var push = WechatGateway.Wechat.Messages.WechatPushParser.Parse(
            "<xml><ToUserName>gh_x</ToUserName><FromUserName>o_refused</FromUserName><CreateTime>1764554403</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>");
        // An app id longer than its column: the server refuses the INSERT after the batch's START TRANSACTION ran.
        var record = new WechatGateway.Webhook.PushToRecord(new string('x', 200), push, "plain", "<xml/>", null);
        var row = new WechatGateway.Webhook.PushRow(record, WechatGateway.Webhook.PushTable.DedupHash(push), 1, DateTime.UtcNow);
        var table = new WechatGateway.Webhook.PushTable(DataSource);
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
