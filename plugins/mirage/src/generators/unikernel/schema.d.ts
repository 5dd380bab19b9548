export interface UnikernelGeneratorSchema {
  name: string;
  template?: string;
  directory?: string;
}
