using WechatSimulator.Follower;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>The accounts and admin keys every test gateway is configured with.</summary>
public static class TestAccounts
{
    public const string PassiveAppId = "wx00000000passive";
    public const string QueueAppId = "wx000000000queue";
    public const string MiniProgramAppId = "wx0000000000mini";
    public const string Token = "gatewaytesttoken";
    public const string AesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    public const string AdminKey = "test-admin-key-0123456789abcdef";
    public const string ViewerKey = "test-viewer-key-0123456789abcdef";
    public const string ManagerKey = "test-manager-key-0123456789abcdef";

    public static readonly FollowerAccount Passive = new(PassiveAppId, Token, AesKey);
    public static readonly FollowerAccount Queue = new(QueueAppId, Token, AesKey);

    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Wechat:Accounts:0:AppId"] = PassiveAppId,
        ["Wechat:Accounts:0:AppSecret"] = "passive-secret",
        ["Wechat:Accounts:0:Name"] = "Passive test account",
        ["Wechat:Accounts:0:Type"] = "OfficialAccount",
        ["Wechat:Accounts:0:Token"] = Token,
        ["Wechat:Accounts:0:EncodingAESKey"] = AesKey,
        ["Wechat:Accounts:0:ReplyMode"] = "Passive",
        // Compatible: the webhook tests send this account plaintext, compatible and safe pushes.
        ["Wechat:Accounts:0:SecurityMode"] = "Compatible",
        ["Wechat:Accounts:1:AppId"] = QueueAppId,
        ["Wechat:Accounts:1:AppSecret"] = "queue-secret",
        ["Wechat:Accounts:1:Type"] = "OfficialAccount",
        ["Wechat:Accounts:1:Token"] = Token,
        ["Wechat:Accounts:1:EncodingAESKey"] = AesKey,
        ["Wechat:Accounts:2:AppId"] = MiniProgramAppId,
        ["Wechat:Accounts:2:AppSecret"] = "mini-secret",
        ["Wechat:Accounts:2:Type"] = "MiniProgram",
        // Message push (消息推送) configured, in safe mode: the mini-program's customer-service messages reach the webhook.
        ["Wechat:Accounts:2:Token"] = Token,
        ["Wechat:Accounts:2:EncodingAESKey"] = AesKey,
        ["Admin:ApiKeys:0:Name"] = "test-admin",
        ["Admin:ApiKeys:0:Key"] = AdminKey,
        ["Admin:ApiKeys:0:Role"] = "Admin",
        ["Admin:ApiKeys:1:Name"] = "test-viewer",
        ["Admin:ApiKeys:1:Key"] = ViewerKey,
        ["Admin:ApiKeys:1:Role"] = "Viewer",
        ["Admin:ApiKeys:2:Name"] = "test-manager",
        ["Admin:ApiKeys:2:Key"] = ManagerKey,
        ["Admin:ApiKeys:2:Role"] = "StoreManager",
        ["Admin:ApiKeys:2:StoreIds:0"] = "1",

        // Every test client shares one address: the brute-force tests run a gateway of their own with a low limit.
        ["Admin:FailedAuthPerMinute"] = "1000",
        ["MiniProgram:LoginsPerMinute"] = "100000",
        ["Events:TicketKey"] = "test-ticket-key-0123456789abcdef0123456789",
    };
}
