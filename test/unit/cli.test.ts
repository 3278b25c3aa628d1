import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('tsvs CLI', () => {
  it('lists its subcommands and exits 2 without one', () => {
    const { status, stdout } = runCli([]);
    expect(status).toBe(2);
    for (const command of ['controller', 'speaker', 'realserver-init']) expect(stdout).toContain(command);
  });

  it('refuses an unknown subcommand', () => {
    const { status, stderr } = runCli(['balance']);
    expect(status).toBe(2);
    expect(stderr).toContain("unknown command 'balance'");
  });

  it("prints a subcommand's flags with their environment variables on --help", () => {
    const { status, stdout } = runCli(['speaker', '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/--node-name VALUE\s+this node's name .*\[\$NODE_NAME\]/);
  });

  it('refuses an unknown flag with the usage', () => {
    const { status, stderr } = runCli(['controller', '--kubeconfg', 'x']);
    expect(status).toBe(2);
    expect(stderr).toContain("Unknown option '--kubeconfg'");
    expect(stderr).toContain('--kubeconfig VALUE');
  });

  it('says which flag and variable is wrong', () => {
    const { status, stderr } = runCli(['controller', '--log-level', 'loud']);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--log-level \(\$TSVS_LOG_LEVEL\): Invalid option: expected one of "trace"\|"debug"/);
  });

  it('reads a missing flag from the environment and validates it', () => {
    const { status, stderr } = runCli(['speaker'], { NODE_NAME: 'Not_A_Node' });
    expect(status).toBe(2);
    expect(stderr).toContain('--node-name ($NODE_NAME): must be a Kubernetes node name');
  });

  it('requires the node name of a speaker', () => {
    const { status, stderr } = runCli(['speaker']);
    expect(status).toBe(2);
    expect(stderr).toContain('--node-name ($NODE_NAME): is required');
  });

  it("names each bad speaker flag: VRRP peers, advertisement interval, metrics address", () => {
    const { status, stderr } = runCli(['speaker', '--node-name', 'n1', '--vrrp-peers', '10.0.0.1,peer', '--advert-interval', '1005', '--metrics-address', '7473']);
    expect(status).toBe(2);
    expect(stderr).toContain('--vrrp-peers ($TSVS_VRRP_PEERS): must be IP addresses separated by commas');
    expect(stderr).toContain('--advert-interval ($TSVS_ADVERT_INTERVAL): must be a multiple of 10 ms');
    expect(stderr).toContain('--metrics-address ($TSVS_METRICS_ADDRESS): must be HOST:PORT');
  });

  it('names the VIP that is not an address', () => {
    const { status, stderr } = runCli(['realserver-init', '--vips', '192.0.2.1,example.com']);
    expect(status).toBe(2);
    expect(stderr).toContain("'example.com' is not an IP address");
  });

  it('fails with a clear message when the kubeconfig cannot be read', () => {
    const { status, stderr } = runCli(['controller', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(status).toBe(1);
    expect(stderr).toContain('/nonexistent/kubeconfig');
  });
});
