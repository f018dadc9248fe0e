using Microsoft.Extensions.Options;
using WechatSimulator.Accounts;
using WechatSimulator.Control;
using WechatSimulator.Faults;
using WechatSimulator.Mass;
using WechatSimulator.Media;
using WechatSimulator.Menus;
using WechatSimulator.Messages;
using WechatSimulator.MiniProgram;
using WechatSimulator.QrCodes;
using WechatSimulator.Tokens;
using WechatSimulator.Users;

namespace WechatSimulator;

/// <summary>Everything the fake WeChat remembers, in memory. Each part guards itself, so handlers may run concurrently.</summary>
public sealed class SimulatorState
{
    public SimulatorState(IConfiguration configuration, IOptions<SimulatorOptions> options, TimeProvider time)
    {
        Time = time;
        Options = options.Value;
        Accounts = new AccountStore(configuration);
        Tokens = new TokenStore(options.Value, time);
        Users = new UserStore();
        Messages = new MessageLog(time);
        Interactions = new InteractionStore();
        Templates = new TemplateStore();
        Faults = new FaultStore();
        Codes = new CodeStore();
        QrCodes = new AccountRecords<SimQrCode>(c => c.AppId);
        Media = new AccountRecords<SimMedia>(m => m.AppId);
        Stats = new CallStats();
        Menus = new MenuStore();
        Mass = new MassStore(time);
        MassReports = new MassReporter(this);
    }

    public TimeProvider Time { get; }

    public SimulatorOptions Options { get; }

    public AccountStore Accounts { get; }

    public TokenStore Tokens { get; }

    public UserStore Users { get; }

    public MessageLog Messages { get; }

    /// <summary>Followers' last messages and events, for the customer-service window and quota.</summary>
    public InteractionStore Interactions { get; }

    /// <summary>Each account's templates and the subscribe consents users gave.</summary>
    public TemplateStore Templates { get; }

    public FaultStore Faults { get; }

    public CodeStore Codes { get; }

    public AccountRecords<SimQrCode> QrCodes { get; }

    public AccountRecords<SimMedia> Media { get; }

    public CallStats Stats { get; }

    /// <summary>Each account's custom menu, default and conditional.</summary>
    public MenuStore Menus { get; }

    /// <summary>Forgets everything but the accounts (tokens, users, used codes, messages, interactions, templates, consents, QR codes, media, faults, stats, menus).</summary>
    /// <summary>Mass sends and the limits they count against.</summary>
    public MassStore Mass { get; }

    /// <summary>Sends each mass send's MASSSENDJOBFINISH report to <see cref="SimulatorOptions.GatewayUrl"/>.</summary>
    public MassReporter MassReports { get; }

    /// <summary>Forgets everything but the accounts (tokens, users and tags, used codes, messages, interactions, QR codes, media, mass sends, faults, stats).</summary>
    public void Reset()
    {
        Tokens.Clear();
        Users.Clear();
        Messages.Clear();
        Interactions.Clear();
        Templates.Clear();
        Faults.Clear();
        Codes.Clear();
        QrCodes.Clear();
        Media.Clear();
        Stats.Clear();
        Menus.Clear();
        Mass.Clear();
    }
}
