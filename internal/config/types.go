// Package config defines mlforge.yaml: typed structs whose tags drive
// decoding (unknown keys rejected, errors with line and field path),
// defaults, validation and the JSON Schema that editors use.
//
// Tags understood on fields besides `yaml`:
//
//	doc:"..."         description (schema, docs)
//	default:"..."     value filled in when the key is absent
//	enum:"a|b"        allowed values
//	pattern:"re"      regular expression a string must match
//	check:"name"      a named validator from checks.go
//	min:"n" max:"n"   bounds for integers
//	required:"true"   the key must be present
package config

// FileName is the project configuration file at a project's root.
const FileName = "mlforge.yaml"

// SchemaURL is where editors find the JSON Schema (`mlforge config schema`
// prints the same document).
const SchemaURL = "https://raw.githubusercontent.com/mlforge/mlforge/main/schema/mlforge.schema.json"

// Config is the whole of mlforge.yaml.
type Config struct {
	Version      int                    `yaml:"version" default:"1" enum:"1" doc:"Version of this file's format."`
	Project      string                 `yaml:"project" required:"true" check:"name" doc:"Project name: lower-case letters, digits and dashes; names the compose project, cloud resources and stacks."`
	Template     string                 `yaml:"template,omitempty" doc:"Template the project was created from (informational)."`
	Target       string                 `yaml:"target" default:"local" enum:"local|ssh|aws|swarm" doc:"Where mlforge up runs the stack: local Docker, an SSH host, AWS, or a Docker Swarm of SSH hosts."`
	Compose      Compose                `yaml:"compose" doc:"The Docker Compose project that defines the stack."`
	Services     map[string]Service     `yaml:"services,omitempty" check:"service-keys" doc:"What mlforge should know about the stack's services, keyed by compose service name."`
	Jobs         map[string]Job         `yaml:"jobs,omitempty" check:"service-keys" doc:"One-shot jobs run by mlforge run NAME, keyed by job name."`
	SSH          SSH                    `yaml:"ssh" doc:"Settings for target ssh (and the host created by target aws); identity and knownHosts also reach the hosts of target swarm."`
	Swarm        Swarm                  `yaml:"swarm" doc:"Settings for target swarm (and for target aws with workers)."`
	AWS          AWS                    `yaml:"aws" doc:"Settings for target aws."`
	Environments map[string]Environment `yaml:"environments,omitempty" check:"name-keys" doc:"Named environments (dev, prod, ...) selected with --env; each may override ssh and aws settings."`
}

// Compose locates the compose project.
type Compose struct {
	File    string `yaml:"file" default:"docker-compose.yml" check:"relpath" doc:"Compose file, relative to the project root."`
	EnvFile string `yaml:"envFile" default:".env" check:"relpath" doc:"Env file with generated settings and secrets (mode 0600, git-ignored)."`
	Project string `yaml:"project,omitempty" check:"name" doc:"Compose project name; defaults to the project name."`
}

// Service describes one compose service to mlforge.
type Service struct {
	Role    string `yaml:"role,omitempty" enum:"tracking|model|metrics|pushgateway|dashboard|orchestrator|other" doc:"What the service is, so mlforge knows which one serves the model, tracks experiments or orchestrates the flows."`
	Port    int    `yaml:"port,omitempty" min:"1" max:"65535" doc:"Port published on 127.0.0.1 on the host."`
	PortEnv string `yaml:"portEnv,omitempty" pattern:"^[A-Z_][A-Z0-9_]*$" doc:"Variable the compose file reads the published port from (e.g. SERVE_PORT)."`
	Health  string `yaml:"health,omitempty" pattern:"^/" doc:"HTTP path answering 200 when the service is ready (e.g. /health)."`
	Title   string `yaml:"title,omitempty" doc:"Name shown in the endpoints table (e.g. MLflow UI)."`
	Model   string `yaml:"model,omitempty" pattern:"^[^@\\s]+@[^@\\s]+$" doc:"For the model service: the registered model it serves, as NAME@ALIAS in the tracking service's registry; up trains only when the alias does not exist."`
	// RequestCounter names the model service's Prometheus counter of
	// prediction requests on its /metrics.
	RequestCounter string `yaml:"requestCounter,omitempty" pattern:"^[a-zA-Z_:][a-zA-Z0-9_:]*$" doc:"For the model service: the Prometheus counter of prediction requests on its /metrics (e.g. taxi_requests_total); on AWS the idle stop counts its increases as activity."`
	Skip           bool   `yaml:"skip,omitempty" doc:"Never start this service with mlforge up (for example one whose image cannot be pulled where the stack runs); --skip SERVICE does the same for one run."`
	// Replicas is the model service's number of replicas on a swarm.
	Replicas int `yaml:"replicas,omitempty" min:"1" max:"100" doc:"Target swarm, the model service only: how many replicas serve (default 2), spread over the nodes and rolled out one at a time."`
}

// Job is a one-shot compose service run on demand.
type Job struct {
	Service string  `yaml:"service" required:"true" check:"service" doc:"Compose service that runs the job."`
	RunOnUp bool    `yaml:"runOnUp,omitempty" doc:"Run the job during mlforge up when the model service has no model yet (the training job)."`
	Reserve Reserve `yaml:"reserve,omitempty" doc:"Target swarm: resources the job reserves on a training node; it waits until one has them free."`
}

// Reserve is what a job reserves on a swarm node (compose's
// deploy.resources.reservations).
type Reserve struct {
	CPUs   string `yaml:"cpus,omitempty" pattern:"^[0-9]+(\\.[0-9]+)?$" doc:"CPUs reserved, such as 2 or 0.5."`
	Memory string `yaml:"memory,omitempty" pattern:"^[0-9]+(\\.[0-9]+)?[kKmMgG]?[bB]?$" doc:"Memory reserved, such as 4G or 512M."`
}

// SSH configures the remote host for target ssh.
type SSH struct {
	Host       string `yaml:"host,omitempty" check:"sshhost" doc:"Host as user@address[:port]."`
	Identity   string `yaml:"identity,omitempty" doc:"Private key file; the ssh-agent is used when empty."`
	KnownHosts string `yaml:"knownHosts,omitempty" doc:"known_hosts file to verify host keys against; defaults to ~/.ssh/known_hosts."`
	Dir        string `yaml:"dir,omitempty" doc:"Directory on the host holding the compose project; defaults to ~/mlforge/PROJECT."`
}

// Swarm configures target swarm: hosts reached over SSH (with the ssh
// section's identity and known_hosts, as target ssh) that form one Docker
// Swarm.
type Swarm struct {
	Managers []string `yaml:"managers,omitempty" check:"sshhost" doc:"Manager hosts as user@address[:port]. The first runs the tracking server, its database, the monitoring side and the proxy; mlforge reaches the swarm through it."`
	Workers  []string `yaml:"workers,omitempty" check:"sshhost" doc:"Worker hosts as user@address[:port]."`
	Training []string `yaml:"training,omitempty" check:"sshhost" doc:"Hosts (from managers or workers) labelled for training, where the one-shot jobs run; defaults to the workers, or the first manager when there are none."`
	Encrypt  bool     `yaml:"encrypt" default:"true" doc:"Encrypt the stack's overlay network (IPsec between the nodes: ESP, IP protocol 50, must pass between them and their kernels need the xfrm/esp modules)."`
}

// AWS configures the infrastructure for target aws.
type AWS struct {
	Region          string   `yaml:"region" default:"us-east-1" check:"region" doc:"AWS region."`
	InstanceType    string   `yaml:"instanceType" default:"t3.large" check:"ec2type" doc:"EC2 instance type (GPU types such as g5.xlarge allowed)."`
	Spot            bool     `yaml:"spot,omitempty" doc:"Run the host as a spot instance."`
	VolumeSize      int      `yaml:"volumeSize" default:"50" min:"8" max:"16384" doc:"Root volume size in GiB (encrypted gp3)."`
	IdleStop        string   `yaml:"idleStop" default:"60m" check:"idlestop" doc:"Stop the instance from inside after this long without activity (model requests, running jobs with a heartbeat, SSH sessions, CPU or GPU load): a duration from 10m to 168h, or off."`
	AMI             string   `yaml:"ami,omitempty" pattern:"^ami-[0-9a-f]{8,17}$" doc:"AMI id; defaults to Ubuntu 24.04 from the SSM public parameter."`
	SSHUser         string   `yaml:"sshUser" default:"ubuntu" pattern:"^[a-z_][a-z0-9_-]*$" doc:"Login user of the AMI."`
	SSHCidrs        []string `yaml:"sshCidrs,omitempty" check:"cidr" doc:"Networks allowed to reach SSH; defaults to the caller's address as a /32."`
	AllowWideSSH    bool     `yaml:"allowWideSSH,omitempty" doc:"Accept SSH networks wider than /16 (IPv4) or /48 (IPv6); the plan then shows it."`
	DataVolumeSize  int      `yaml:"dataVolumeSize" default:"20" min:"1" max:"16384" doc:"Data volume in GiB (encrypted gp3) holding the stack's Docker volumes; kept by destroy unless --delete-data and reattached by the next up."`
	Workers         int      `yaml:"workers,omitempty" min:"0" max:"20" doc:"Swarm worker instances next to the host, in its security group."`
	KeepImages      int      `yaml:"keepImages" default:"10" min:"1" max:"1000" doc:"Images kept per ECR repository by its lifecycle policy."`
	Backend         string   `yaml:"backend,omitempty" check:"backend" doc:"Pulumi state backend URL (file://DIR, s3://bucket/prefix, ...); defaults to a file backend under ~/.mlforge."`
	SecretsProvider string   `yaml:"secretsProvider,omitempty" check:"secrets" doc:"Pulumi secrets provider: passphrase (default) or awskms://KEY."`
}

// Environment overrides settings for one named environment.
type Environment struct {
	Target string `yaml:"target,omitempty" enum:"local|ssh|aws|swarm" doc:"Target for this environment; defaults to the top-level target."`
	SSH    *SSH   `yaml:"ssh,omitempty" doc:"Overrides of the ssh settings."`
	AWS    *AWS   `yaml:"aws,omitempty" doc:"Overrides of the aws settings."`
}
